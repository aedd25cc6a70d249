// npm run bench -- --markdown: the tables as Markdown under a header that
// names the date, the machine and the command (scripts/bench-output.js, fed
// made-up rows here: no benchmark runs), and docs/speed.md holding exactly
// one generated block, written by `npm run bench -- --markdown --write`,
// whose header says when, on what and by which command it was measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './helpers/common.js';
import { BEGIN, END, commandLine, generatedBlocks, replaceBlock, report, table } from '../scripts/bench-output.js';

const ROWS = [
  ['train, batch 1 (samples/s)', '54,331', '61,891', '1.14x'],
  ['predict | 1 image (us)', '6.9', '-', '-'],
];
const HEAD = ['', 'wasm', 'native', 'native/wasm'];
const DATE = /^- date: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/m;
const MACHINE = /^- machine: \S.*, \d+ cores?, \d+ GiB, \w+ .*; Node \d+\.\d+\.\d+/m;

/** The rows of the Markdown tables in text: lines that start and end with '|'. */
const tableRows = (md) => md.split('\n').filter((l) => /^\|.*\|$/.test(l));

test('a Markdown table: head, an alignment rule, one line per row with as many cells', () => {
  const lines = table(ROWS, HEAD, { markdown: true }).split('\n');
  assert.is(lines.length, 2 + ROWS.length);
  assert.is(lines[0], '|  | wasm | native | native/wasm |');
  assert.is(lines[1], '| :-- | --: | --: | --: |');
  assert.is(lines[2], '| train, batch 1 (samples/s) | 54,331 | 61,891 | 1.14x |');
  // a '|' inside a cell is escaped, so that it stays one cell
  assert.is(lines[3], '| predict \\| 1 image (us) | 6.9 | - | - |');
  for (const l of lines) assert.is(l.split(/(?<!\\)\|/).length - 2, HEAD.length, l);
});

test('the same rows as text: aligned columns under a rule of dashes', () => {
  const lines = table(ROWS, HEAD).split('\n');
  assert.is(lines.length, 2 + ROWS.length);
  assert.ok(lines.every((l) => l.length === lines[0].length));
  assert.match(lines[1], /^-+( {3}-+){3}$/);
  assert.ok(lines[2].startsWith('train, batch 1 (samples/s)') && lines[2].endsWith('1.14x'));
});

test('a Markdown report is headed by the date, the machine and the command, then its tables and lists', () => {
  const out = report({ markdown: true });
  out.header('mnist-wasm bench: made-up rows', 'npm run bench -- --markdown', [['data', 'none']]);
  out.table(ROWS, HEAD);
  out.list('targets:', ['train batch 1 >= 40,000 samples/s: 54,331, met']);
  const md = String(out);
  assert.ok(md.startsWith('mnist-wasm bench: made-up rows\n\n- date: '), md);
  assert.match(md, DATE);
  assert.match(md, MACHINE);
  assert.match(md, /^- command: `npm run bench -- --markdown`$/m);
  assert.match(md, /^- data: none$/m);
  assert.is(tableRows(md).length, 2 + ROWS.length);
  assert.match(md, /^targets:\n\n- train batch 1 >= 40,000 samples\/s: 54,331, met$/m);
  // the header comes first, the tables after it
  assert.ok(md.search(DATE) < md.indexOf('| :--'));
});

test('the text report carries the same facts without Markdown', () => {
  const out = report();
  out.header('title', 'node scripts/bench.js', []);
  out.table(ROWS, HEAD);
  const text = String(out);
  assert.match(text, /^date: \d{4}-\d{2}-\d{2}T/m);
  assert.match(text, /^machine: .*\d+ cores?/m);
  assert.match(text, /^command: node scripts\/bench.js$/m);
  assert.is(tableRows(text).length, 0);
});

test('the command is the one typed: npm run NAME -- ARGS under npm, node SCRIPT ARGS otherwise', () => {
  const saved = { ...process.env };
  try {
    process.env.npm_lifecycle_event = 'bench';
    process.env.npm_lifecycle_script = 'node scripts/bench.js';
    assert.is(commandLine('scripts/bench.js', ['--markdown', '--write']), 'npm run bench -- --markdown --write');
    assert.is(commandLine('scripts/bench.js', []), 'npm run bench');
    // a script npm run bench starts is not npm run bench itself
    assert.is(commandLine('scripts/bench-convnet.js', ['--quick']), 'node scripts/bench-convnet.js --quick');
    delete process.env.npm_lifecycle_event;
    assert.is(commandLine('scripts/bench.js', ['--markdown']), 'node scripts/bench.js --markdown');
  } finally {
    process.env = saved;
  }
});

test('--write replaces the one generated block and leaves the prose around it', () => {
  const doc = `# Speed\n\nProse that names ${BEGIN} in passing.\n\n${BEGIN}\n\nold table\n\n${END}\n\n## After\n\nmore prose\n`;
  const next = replaceBlock(doc, 'new table\n');
  assert.is(
    next,
    `# Speed\n\nProse that names ${BEGIN} in passing.\n\n${BEGIN}\n\nnew table\n\n${END}\n\n## After\n\nmore prose\n`,
  );
  assert.equal(generatedBlocks(next), ['new table']);
  assert.is(replaceBlock(next, 'new table'), next);
});

test('--write refuses a document without exactly one well-formed block', () => {
  const one = `${BEGIN}\nx\n${END}\n`;
  assert.throws(() => replaceBlock('# Speed\n', 'x'), /exactly one .* found 0/);
  assert.throws(() => replaceBlock(one + one, 'x'), /exactly one .* found 2/);
  assert.throws(() => replaceBlock(`${END}\nx\n${BEGIN}\n`, 'x'), /do not pair up/);
  assert.throws(() => replaceBlock(`${BEGIN}\nx\n`, 'x'), /do not pair up/);
});

test('docs/speed.md has exactly one generated block, headed by a date, a machine and the command', () => {
  const doc = readFileSync(path.join(root, 'docs/speed.md'), 'utf8');
  const blocks = generatedBlocks(doc);
  assert.is(blocks.length, 1);
  const [block] = blocks;
  assert.match(block, DATE);
  assert.match(block, MACHINE);
  assert.match(block, /^- command: `npm run bench -- --markdown --write`$/m);
  assert.match(block, /^sizes: web\/build\/mnist\.wasm [\d,]+ bytes \([\d,]+ gzipped\)/m);
  // the tables of the dense network, the threads and the convnet
  assert.ok(tableRows(block).length >= 20, `${tableRows(block).length} table rows`);
  for (const row of ['| train, batch 64 (samples/s) |', '| train, batch 64 augmented |', '| wasm (Node) |'])
    assert.ok(block.includes(row), row);
});

test('bench.js refuses an unknown argument, and --write without --markdown or with --quick, before measuring', () => {
  const bench = (...args) =>
    spawnSync(process.execPath, [path.join(root, 'scripts/bench.js'), ...args], { encoding: 'utf8', timeout: 20000 });
  for (const [args, why] of [
    [['--markdwon'], /unknown argument --markdwon/],
    [['--write'], /--write takes --markdown/],
    [['--markdown', '--write', '--quick'], /--write takes --markdown and a full run/],
  ]) {
    const r = bench(...args);
    assert.is(r.status, 2, args.join(' '));
    assert.match(r.stderr, why);
    assert.is(r.stdout, '');
  }
});

test.run();
