// The documentation cannot drift from the tree: every relative link in
// README.md and docs/*.md leads to a file that exists, and every #anchor to
// a heading of that file (GitHub's slugs); docs/api.md documents every
// export of web/lib/index.d.ts and every member of its classes and
// interfaces, and names nothing as API that index.d.ts does not declare;
// README.md stays one screen, at most 10 KB.
//
// index.d.ts is read as tests/types.test.js reads it: declarations one per
// line, `export function name(`, `export class Name {`, members indented by
// two spaces (`  name(`, `  name:`, `  readonly name?:`). docs/api.md gives
// one section per class or interface, headed by its name, with a table whose
// first column names each member in code (`net.train(...)`, `layers`), a
// section "Functions" for the exported functions and one "Types" for the
// type aliases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { root, readDeclarations } from './helpers/common.js';

const README_LIMIT = 10 * 1024;
const docsDir = path.join(root, 'docs');
const pages = [
  'README.md',
  ...readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (rel) => readFileSync(path.join(root, rel), 'utf8');

/* ---------- markdown ---------- */

/** The text outside fenced code blocks, and the fenced blocks with their language. */
function split(md) {
  const prose = [],
    blocks = [];
  let fence = null;
  for (const line of md.split('\n')) {
    const m = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence.mark[0] && m[1].length >= fence.mark.length && !m[2]) {
        blocks.push(fence);
        fence = null;
      } else fence.lines.push(line);
      prose.push(''); // keep line numbers
    } else if (m) {
      fence = { mark: m[1], lang: m[2], lines: [] };
      prose.push('');
    } else prose.push(line);
  }
  return { prose: prose.join('\n'), blocks: blocks.map((b) => ({ lang: b.lang, code: b.lines.join('\n') })) };
}

const withoutCodeSpans = (text) => text.replace(/(`+)[\s\S]*?\1/g, (s) => ' '.repeat(s.length));
const codeSpans = (text) => [...text.matchAll(/(`+)([\s\S]*?)\1/g)].map((m) => m[2].trim());

/** GitHub's anchor for a heading: lower case, spaces to '-', punctuation but '-' and '_' dropped. */
function slug(heading) {
  return heading
    .replace(/`/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a markdown file's headings, duplicates numbered as GitHub numbers them. */
function anchors(md) {
  const seen = new Map(),
    out = new Set();
  for (const m of split(md).prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Links and images outside code: [text](target) and ![alt](target). */
function links(md) {
  const text = withoutCodeSpans(split(md).prose);
  return [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** Every relative link of a page that leads nowhere, as "page: target (why)". */
function deadLinks(page, md = read(page)) {
  const dead = [];
  for (const target of links(md)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [file, anchor] = target.split('#');
    const rel = file ? path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(file))) : page;
    const abs = path.join(root, rel);
    if (rel.startsWith('..') || !existsSync(abs)) {
      dead.push(`${page}: ${target} (no file ${rel})`);
      continue;
    }
    if (anchor !== undefined) {
      if (!rel.endsWith('.md') || statSync(abs).isDirectory()) dead.push(`${page}: ${target} (an anchor into ${rel})`);
      else if (!anchors(rel === page ? md : read(rel)).has(anchor))
        dead.push(`${page}: ${target} (no heading #${anchor} in ${rel})`);
    }
  }
  return dead;
}

/* ---------- index.d.ts ---------- */

const withoutComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

/** What index.d.ts declares: exports by kind, and each class's and interface's members with their types. */
function declarations(dts) {
  const code = withoutComments(dts);
  const functions = new Set(),
    types = new Set(),
    owners = new Map(); // name -> { kind, members: Map(name -> type text) }
  for (const m of code.matchAll(/^export\s+(?:declare\s+)?function\s+([A-Za-z_$][\w$]*)/gm)) functions.add(m[1]);
  for (const m of code.matchAll(/^export\s+(?:declare\s+)?type\s+([A-Za-z_$][\w$]*)/gm)) types.add(m[1]);
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^export\s+(?:declare\s+)?(class|interface)\s+([A-Za-z_$][\w$]*)[^{]*\{\s*$/.exec(lines[i]);
    if (!head) continue;
    const members = new Map();
    for (i++; i < lines.length && !/^\}/.test(lines[i]); i++) {
      const m = /^ {2}(?:readonly\s+|private\s+)*([A-Za-z_$][\w$]*)\??\s*([(:<])(.*)$/.exec(lines[i]);
      if (!m || /^\s{2}private\s/.test(lines[i])) continue;
      members.set(m[1], m[2] === ':' ? m[3].replace(/;\s*$/, '').trim() : 'method');
    }
    owners.set(head[2], { kind: head[1], members });
  }
  return { functions, types, owners, exports: new Set([...functions, ...types, ...owners.keys()]) };
}

/* ---------- docs/api.md ---------- */

/** The API tables: for each "## Heading" section, the names its table rows give in their first column. */
function apiSections(md) {
  const sections = [];
  let current = null;
  for (const line of split(md).prose.split('\n')) {
    const h = /^##\s+(.+)$/.exec(line);
    if (h) {
      current = { heading: h[1].replace(/`/g, '').trim(), rows: [] };
      sections.push(current);
      continue;
    }
    if (!current || !/^\|/.test(line) || /^\|\s*-/.test(line)) continue;
    const first = line.split(/(?<!\\)\|/)[1] ?? '';
    const spans = codeSpans(first);
    if (!spans.length) continue; // a header row
    current.rows.push({ line, names: spans.map(rowName) });
  }
  return sections;
}

/** The name a table cell's code gives: `net.train(images)` -> train, `new Trainer(...)` -> constructor, `layers` -> layers. */
function rowName(code) {
  if (/^new\s/.test(code)) return 'constructor';
  const callee = code.split('(')[0].trim();
  return callee.split('.').pop();
}

/** Receivers that name an instance in the examples: net.x is a member of Network, and so on. */
const RECEIVERS = { net: 'Network', dataset: 'Dataset', trainer: 'Trainer', evaluator: 'Evaluator' };
/** Called in api.md's code but not the package's: the language's and the platform's own. */
const PLATFORM = new Set(['console', 'log', 'URL', 'Uint8Array', 'Float32Array', 'import', 'set', 'fetch']);

/** Names api.md's code calls (`x(`, `x.y(`, `new X(`) or reads from an instance (`net.x.y`) that index.d.ts does not declare. */
function undeclaredInCode(md, decl) {
  const { prose, blocks } = split(md);
  const js = blocks.filter((b) => /^(js|javascript|ts)?$/.test(b.lang)).map((b) => b.code);
  // strings and comments name no API
  const bare = (c) => c.replace(/'[^'\n]*'|"[^"\n]*"/g, "''").replace(/\/\/.*$/gm, '');
  const code = [...codeSpans(prose), ...js].map(bare);
  const declared = new Set(decl.exports);
  for (const o of decl.owners.values()) for (const n of o.members.keys()) declared.add(n);
  const bad = new Set();
  for (const c of code) {
    for (const m of c.matchAll(/([A-Za-z_$][\w$]*)\s*\(/g))
      if (!declared.has(m[1]) && !PLATFORM.has(m[1]) && !/^(if|for|while|await|async|function|return)$/.test(m[1]))
        bad.add(`${m[1]}() in \`${c.split('\n')[0].slice(0, 60)}\``);
    // net.options.threadsReason: each step a member of the type before it
    for (const m of c.matchAll(/(?<![\w$.])(net|dataset|trainer|evaluator)((?:\.[A-Za-z_$][\w$]*)+)/g)) {
      let owner = RECEIVERS[m[1]];
      for (const name of m[2].slice(1).split('.')) {
        const o = decl.owners.get(owner);
        if (!o) break; // a type this check does not follow (an array, a promise, a number)
        if (!o.members.has(name)) {
          bad.add(`${m[1]}${m[2]}: ${owner} has no ${name}`);
          break;
        }
        owner = o.members.get(name);
      }
    }
  }
  return [...bad].sort();
}

/** What api.md leaves out of index.d.ts, and what it names that index.d.ts does not declare. */
function apiDrift(md, decl) {
  const sections = apiSections(md);
  const missing = [],
    extra = [];
  const section = (name) => sections.find((s) => s.heading.split(/\s/)[0] === name);
  const rowsOf = (s) => new Set(s ? s.rows.flatMap((r) => r.names) : []);

  const fns = rowsOf(section('Functions'));
  for (const f of decl.functions) if (!fns.has(f)) missing.push(`function ${f} (a row of "## Functions")`);
  for (const f of fns) if (!decl.functions.has(f)) extra.push(`function ${f}`);
  const types = rowsOf(section('Types'));
  for (const t of decl.types) if (!types.has(t)) missing.push(`type ${t} (a row of "## Types")`);
  for (const t of types) if (!decl.types.has(t)) extra.push(`type ${t}`);

  for (const [name, { kind, members }] of decl.owners) {
    const s = section(name);
    if (!s) {
      missing.push(`${kind} ${name} (a "## ${name}" section)`);
      continue;
    }
    const rows = rowsOf(s);
    for (const m of members.keys()) if (!rows.has(m)) missing.push(`${name}.${m}`);
    for (const r of rows) if (!members.has(r)) extra.push(`${name}.${r}`);
  }
  for (const s of sections) {
    const name = s.heading.split(/\s/)[0];
    if (!s.rows.length || name === 'Functions' || name === 'Types' || decl.owners.has(name)) continue;
    extra.push(`a table of API names under "## ${s.heading}", which index.d.ts does not declare`);
  }
  return { missing, extra: [...extra, ...undeclaredInCode(md, decl)] };
}

/* ---------- the tests ---------- */

const dts = readDeclarations(); // index.d.ts and the files it re-exports
const api = read('docs/api.md');

test('the readers work: a slug, an anchor, a dead link, a declaration', () => {
  assert.is(slug('The page against `train()`'), 'the-page-against-train');
  assert.is(
    slug("Threads: Emscripten's pthreads, not workers of our own"),
    'threads-emscriptens-pthreads-not-workers-of-our-own',
  );
  assert.is(slug('Limits and what happens past them'), 'limits-and-what-happens-past-them');
  assert.ok(anchors('# A\n## B c\n## B c\n```\n# not a heading\n```\n').has('b-c-1'));
  assert.not.ok(anchors('```\n# not a heading\n```\n').has('not-a-heading'));
  assert.equal(links('[a](x.md#y) `[b](z.md)` ![c](d.png)\n```\n[e](f.md)\n```\n'), ['x.md#y', 'd.png']);
  assert.equal(deadLinks('docs/x.md', '[ok](api.md#network) [gone](nowhere.md) [bad](api.md#no-such-heading)'), [
    'docs/x.md: nowhere.md (no file docs/nowhere.md)',
    'docs/x.md: api.md#no-such-heading (no heading #no-such-heading in docs/api.md)',
  ]);
  const d = declarations(dts);
  assert.ok(d.functions.has('createNetwork') && d.types.has('Activation'));
  assert.ok(d.owners.get('Network').members.has('train') && d.owners.get('Network').members.has('threadJobs'));
  assert.not.ok(d.owners.get('Network').members.has('constructor'), 'a private constructor is not API');
  assert.ok(d.owners.get('Trainer').members.has('constructor'), 'a public one is');
  assert.is(d.owners.get('Network').members.get('options'), 'ResolvedOptions');
});

test('every relative link in README.md and docs/*.md leads to a file, and every #anchor to a heading', () => {
  assert.ok(pages.length >= 10, `pages: ${pages.join(', ')}`);
  const dead = pages.flatMap((p) => deadLinks(p));
  assert.equal(dead, [], `dead links:\n  ${dead.join('\n  ')}`);
});

test('every docs page starts with a title and a paragraph that says what it answers', () => {
  for (const p of pages.filter((x) => x.startsWith('docs/'))) {
    const [title, , first] = read(p).split('\n');
    assert.match(title, /^# \S/, `${p} starts with its title`);
    assert.match(first ?? '', /^[A-Z`*]/, `${p}: a paragraph after the title`);
  }
});

test('docs/api.md documents everything web/lib/index.d.ts declares, and names nothing else as API', () => {
  const { missing, extra } = apiDrift(api, declarations(dts));
  assert.equal(missing, [], `declared in index.d.ts, not in docs/api.md:\n  ${missing.join('\n  ')}`);
  assert.equal(extra, [], `in docs/api.md, not declared in index.d.ts:\n  ${extra.join('\n  ')}`);
});

test('the API check sees a missing method, an undeclared one and an undeclared call', () => {
  const decl = declarations(dts);
  const withoutStep = api.replace(/^\| `net\.step\(.*$/m, '');
  assert.ok(apiDrift(withoutStep, decl).missing.includes('Network.step'));
  const withMadeUp = api.replace(/^(\| `net\.step\(.*)$/m, '$1\n| `net.madeUp(image, label)` | made up |');
  assert.ok(apiDrift(withMadeUp, decl).extra.includes('Network.madeUp'));
  assert.ok(apiDrift(`${api}\n\`net.options.fast\` and \`facts()\`\n`, decl).extra.length >= 2);
});

test('README.md is one screen: at most 10 KB', () => {
  const bytes = Buffer.byteLength(read('README.md'));
  assert.ok(bytes <= README_LIMIT, `README.md is ${bytes} bytes, over ${README_LIMIT}: move the detail into docs/`);
});

test.run();
