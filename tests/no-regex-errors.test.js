// Errors are data to the edge: the package's errors carry their fields
// (code, status, where, reason, url, detail; fs errors their code), and the
// page and the command word their sentences from those, once. No source of
// web/, web/lib/ or bin/ rewrites an error's message (or C's reason) with
// replace, match or a regular expression: such code breaks silently when a
// sentence changes, and says things twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { root } from './helpers/common.js';

const FOLDERS = ['web', 'web/lib', 'bin']; // their own .js files: web/build is not among them

/** The lines of src that rewrite a message or reason: "file:line: text". */
function rewrites(src, file) {
  // a chain continued on the next lines (".replace(...)") is read as one statement, named by its first line
  const statements = [];
  src.split('\n').forEach((line, i) => {
    if (statements.length && /^\s*\./.test(line)) statements.at(-1).text += ` ${line.trim()}`;
    else statements.push({ line: i + 1, text: line.trim() });
  });
  const text = /\b(message|reason)\b/;
  const rewrite = /\b(message|reason)\b[^;]*?\.(replace|replaceAll|match|matchAll|search)\(/;
  const regexOn = /\/[^/\n]+\/[dgimsuy]*\.(test|exec)\(([^)]*)\)/g;
  return statements
    .filter((s) => rewrite.test(s.text) || [...s.text.matchAll(regexOn)].some((m) => text.test(m[2])))
    .map((s) => `${file}:${s.line}: ${s.text}`);
}

const sources = FOLDERS.flatMap((dir) =>
  readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.js'))
    .map((f) => `${dir}/${f}`),
);

test('the check finds a message rewritten, over several lines or by a regular expression, and not a sentence built from fields', () => {
  const bad = [
    "throw new Error(e.message.replace(/^\\w+: /, ''));",
    "const m = String(e?.message ?? e)\n  .split('\\n')[0]\n  .replace(/^(openDataset|loadMnist): /, '');",
    'if (/timeout/.test(err.message)) retry();',
    'const [, n] = e.reason.match(/(\\d+) images/);',
  ];
  for (const src of bad) assert.is(rewrites(src, 'x.js').length, 1, src);
  const good = [
    'throw new Exit(1, where + ": " + e.reason + (e.detail === undefined ? "" : " (" + e.detail + ")"));',
    "if (!/^\\d+$/.test(v)) throw new Error('expected milliseconds, got ' + v);",
    "const html = /html/i.test(type) ? ' (the server sent an HTML page)' : '';",
  ];
  for (const src of good) assert.equal(rewrites(src, 'x.js'), [], src);
});

test('no source of web/, web/lib/ or bin/ rewrites an error message with a regular expression', () => {
  assert.ok(sources.includes('bin/mnist-wasm.js') && sources.includes('web/data.js'), sources.join(' '));
  const found = sources.flatMap((f) => rewrites(readFileSync(path.join(root, f), 'utf8'), f));
  assert.equal(found, [], `word these from the error's fields:\n${found.join('\n')}`);
});

test.run();
