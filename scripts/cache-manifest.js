#!/usr/bin/env node
// The list of files that the page's service worker (web/sw.js) keeps for
// offline use, with each one's size and SHA-256, written to
// web/build/cache-manifest.js. The one place that says which files those
// are: the page, its scripts and style, the package's browser modules, every
// built module in web/build (a threaded build too) and the default data set.
// The cache is named for the package version and a hash of the list, so a
// change to any file is a new version, and the service worker, which imports
// this file, updates itself when it changes.
//   node scripts/cache-manifest.js [WEB_DIR]     (npm run build and npm start run it)
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, renameSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MANIFEST = 'build/cache-manifest.js';

// Paths relative to web/; the folders are not searched deeper.
const KEPT = [
  { dir: '', match: /\.(html|css|js)$/, except: ['sw.js'] }, // the service worker is the browser's to keep
  { dir: 'lib', match: /\.js$/, except: ['node.js'] }, // node.js is the package's Node entry
  { dir: 'build', match: /\.(js|wasm)$/, except: [path.basename(MANIFEST)] },
  { dir: 'data', match: /\.gz$/, except: [] }, // the default set; data/small is for tests
];

/** The manifest of the files under web (a folder): { name, version, hash, files: [{ path, size, sha256 }] }. */
export function cacheManifest(web) {
  const { name, version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const files = [];
  for (const { dir, match, except } of KEPT) {
    const full = path.join(web, dir);
    if (!existsSync(full)) continue;
    for (const entry of readdirSync(full, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!entry.isFile() || !match.test(entry.name) || except.includes(entry.name)) continue;
      const bytes = readFileSync(path.join(full, entry.name));
      files.push({
        path: dir ? `${dir}/${entry.name}` : entry.name,
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      });
    }
  }
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 12);
  return { name, version, hash, files };
}

/** The manifest as the script web/sw.js imports. */
export function manifestScript(manifest) {
  return (
    '// Written by scripts/cache-manifest.js (npm run build): the files web/sw.js keeps\n' +
    '// for offline use, with their sizes and SHA-256. Do not edit.\n' +
    `self.CACHE_MANIFEST = ${JSON.stringify({ ...manifest, files: [] }).replace(/\[\]}$/, '[')}\n` +
    manifest.files.map((f) => `  ${JSON.stringify(f)}`).join(',\n') +
    '\n]};\n'
  );
}

/** Writes web/build/cache-manifest.js when its content changes; returns the manifest. */
export function writeCacheManifest(web) {
  const manifest = cacheManifest(web);
  const file = path.join(web, MANIFEST);
  const text = manifestScript(manifest);
  let old = null;
  try {
    old = readFileSync(file, 'utf8');
  } catch {
    /* none yet */
  }
  if (old !== text) {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`; // a reader never sees half a file
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  return manifest;
}

/** The manifest that web/build/cache-manifest.js holds (for tests). */
export function readCacheManifest(web) {
  const text = readFileSync(path.join(web, MANIFEST), 'utf8');
  return JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const web = path.resolve(process.argv[2] ?? path.join(ROOT, 'web'));
  const m = writeCacheManifest(web);
  const bytes = m.files.reduce((s, f) => s + f.size, 0);
  console.log(
    `cache manifest: ${m.files.length} files, ${(bytes / 1048576).toFixed(1)} MB, cache ${m.name}-${m.version}-${m.hash}`,
  );
}
