// The declared API and the real one agree: every runtime export of the
// package (imported by its name) is declared in web/lib/index.d.ts and every
// value index.d.ts declares exists at runtime, and tests/types/usage.ts (the
// file `tsc --noEmit -p tests/types` checks) uses every declared name.
// index.d.ts is read with regexes, so keep its declarations one per line:
// `export function name(`, `export class Name {`, `  member(` / `  member:`;
// the parameters of a signature wrapped over lines (as Prettier wraps a
// long one) each end in a comma.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as api from 'mnist-wasm';
import { root, readDeclarations } from './helpers/common.js';

const dts = readDeclarations(); // index.d.ts and the files it re-exports
const usage = readFileSync(path.join(root, 'tests/types/usage.ts'), 'utf8');

const withoutComments = (src) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
const code = withoutComments(dts);

/** name -> 'function' | 'class' | 'const' ...: exports that exist at runtime (types and interfaces do not). */
function declaredValues() {
  const out = new Map();
  const decl =
    /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(function\*?|class|const|let|var|enum|namespace)\s+([A-Za-z_$][\w$]*)/gm;
  for (const m of code.matchAll(decl)) out.set(m[2], m[1]);
  // export { a, b as c } [from '...'], but not export type { ... }
  for (const m of code.matchAll(/^export\s+\{([^}]*)\}/gm)) {
    for (const item of m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (item.startsWith('type ')) continue;
      out.set(item.split(/\s+as\s+/).pop(), 'reexport');
    }
  }
  return out;
}

/** Every exported name, types and interfaces included. */
function declaredNames() {
  const names = new Set(declaredValues().keys());
  for (const m of code.matchAll(/^export\s+(?:declare\s+)?(?:interface|type)\s+([A-Za-z_$][\w$]*)/gm)) names.add(m[1]);
  return names;
}

/** Members of the declared interfaces and classes: `  name:`, `  name?:`, `  readonly name:`, `  name(`. */
function declaredMembers() {
  const names = new Set();
  // a line that ends in a comma is a parameter of a signature wrapped over lines, not a member
  for (const m of code.matchAll(/^\s+(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*(?:\(|:(?!.*,$))/gm)) names.add(m[1]);
  // options given inline, as in setOptions(options: { learningRate?: number; ... })
  for (const m of code.matchAll(/:\s*\{([^{}]*)\}/g)) {
    for (const p of m[1].matchAll(/(?:^|[;,])\s*(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*:/g)) names.add(p[1]);
  }
  names.delete('constructor'); // a public constructor is used by `new`, which the exports check covers
  return names;
}

const missing = (names, where) => [...names].filter((n) => !where(n)).sort();

test('index.d.ts: the regexes find its declarations', () => {
  const values = declaredValues();
  assert.ok(values.size >= 5, `found ${[...values.keys()].join(', ')}`);
  assert.is(values.get('createNetwork'), 'function');
  assert.is(values.get('Network'), 'class');
  assert.ok(declaredMembers().has('learningRate'));
});

test('every runtime export is declared in index.d.ts', () => {
  const declared = declaredValues();
  const undeclared = missing(Object.keys(api), (n) => declared.has(n));
  assert.equal(undeclared, [], `exported by web/lib/index.js but not declared in index.d.ts: ${undeclared.join(', ')}`);
});

test('every value declared in index.d.ts exists at runtime, with its kind', () => {
  const declared = declaredValues();
  const absent = missing(declared.keys(), (n) => n in api);
  assert.equal(absent, [], `declared in index.d.ts but not exported at runtime: ${absent.join(', ')}`);
  for (const [name, kind] of declared) {
    if (kind === 'function' || kind === 'function*' || kind === 'class')
      assert.type(api[name], 'function', `${name} is a ${kind}`);
    if (kind === 'class') assert.ok(/^class\b/.test(Function.prototype.toString.call(api[name])), `${name} is a class`);
  }
});

test('tests/types/usage.ts uses every declared export, method, property and option', () => {
  const used = withoutComments(usage);
  const has = (n) => new RegExp(`(^|[^\\w$])${n.replace(/\$/g, '\\$')}([^\\w$]|$)`).test(used);
  const exportsLeft = missing(declaredNames(), has);
  assert.equal(exportsLeft, [], `usage.ts does not import or use: ${exportsLeft.join(', ')}`);
  const membersLeft = missing(declaredMembers(), has);
  assert.equal(
    membersLeft,
    [],
    `usage.ts does not use these members or options of index.d.ts: ${membersLeft.join(', ')}`,
  );
});

test.run();
