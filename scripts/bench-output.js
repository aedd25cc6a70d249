// How npm run bench (scripts/bench.js, scripts/bench-convnet.js) prints what
// it measures: lines, lists and tables, as aligned text for a terminal or as
// Markdown; the Markdown headed by the date, the machine and the exact
// command; and the generated block of docs/speed.md, between two marker
// lines, that `npm run bench -- --markdown --write` replaces.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

/** A number with thousands separators and `digits` decimals; '-' for none. */
export function fmt(v, digits = 0) {
  if (v === undefined || Number.isNaN(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * rows under head: aligned text columns (the first to the left, the others
 * to the right), or a Markdown table aligned the same way.
 */
export function table(rows, head, { markdown = false } = {}) {
  if (markdown) {
    const line = (r) => `| ${r.map((v) => String(v).replace(/\|/g, '\\|')).join(' | ')} |`;
    const rule = `| ${head.map((_, c) => (c === 0 ? ':--' : '--:')).join(' | ')} |`;
    return [line(head), rule, ...rows.map(line)].join('\n');
  }
  const cells = [head, ...rows];
  const width = head.map((_, c) => Math.max(...cells.map((r) => String(r[c]).length)));
  const line = (r) =>
    r.map((v, c) => (c === 0 ? String(v).padEnd(width[c]) : String(v).padStart(width[c]))).join('   ');
  return [line(head), width.map((w) => '-'.repeat(w)).join('   '), ...rows.map(line)].join('\n');
}

/** The machine in one line: CPU model, cores, memory, OS, Node. */
export function machine() {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() || 'unknown CPU';
  return (
    `${model}, ${cpus.length} ${cpus.length === 1 ? 'core' : 'cores'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${os.platform()} ${os.release()} (${os.arch()}); Node ${process.versions.node} (V8 ${process.versions.v8})`
  );
}

/** The command that started this script: `npm run NAME -- ARGS` under npm, else `node SCRIPT ARGS`. */
export function commandLine(script, args) {
  const rest = args.length ? ` ${args.join(' ')}` : '';
  const npm = process.env.npm_lifecycle_event;
  if (npm && process.env.npm_lifecycle_script === `node ${script}`) return `npm run ${npm}${rest && ` --${rest}`}`;
  return `node ${script}${rest}`;
}

/**
 * What a bench prints, gathered as blocks (lines, a list, a table) and
 * given out as text or Markdown by toString(), blocks apart by a blank line.
 */
export function report({ markdown = false } = {}) {
  const blocks = [];
  return {
    markdown,
    /** The title, then date, machine, command and the other facts ([name, value]). */
    header(title, command, facts = []) {
      const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const all = [
        ['date', date],
        ['machine', machine()],
        ['command', markdown ? `\`${command}\`` : command],
        ...facts,
      ];
      this.lines(title);
      blocks.push(all.map(([k, v]) => `${markdown ? '- ' : ''}${k}: ${v}`).join('\n'));
    },
    /** Lines of text; in Markdown each its own paragraph. */
    lines(...lines) {
      if (lines.length) blocks.push(lines.join(markdown ? '\n\n' : '\n'));
    },
    /** A title, then one item a line. */
    list(title, items) {
      blocks.push([title, ...(markdown ? ['', ...items.map((i) => `- ${i}`)] : items.map((i) => `  ${i}`))].join('\n'));
    },
    table(rows, head) {
      blocks.push(table(rows, head, { markdown }));
    },
    toString() {
      return blocks.join('\n\n');
    },
  };
}

const marker = (m) => new RegExp(`^${m}$`, 'gm');

/** The text between each pair of marker lines in a document. */
export function generatedBlocks(text) {
  const begins = [...text.matchAll(marker(BEGIN))].map((m) => m.index + BEGIN.length);
  const ends = [...text.matchAll(marker(END))].map((m) => m.index);
  if (begins.length !== ends.length || begins.some((b, i) => b > ends[i] || ends[i] > (begins[i + 1] ?? Infinity)))
    throw new Error(`${BEGIN} and ${END} lines do not pair up`);
  return begins.map((b, i) => text.slice(b, ends[i]).trim());
}

/** The document with its one generated block holding `block`, the text around it untouched. */
export function replaceBlock(text, block) {
  const n = generatedBlocks(text).length;
  if (n !== 1) throw new Error(`wants exactly one ${BEGIN} ... ${END} block, found ${n}`);
  const from = text.search(marker(BEGIN)) + BEGIN.length;
  const to = text.search(marker(END));
  return `${text.slice(0, from)}\n\n${block.trim()}\n\n${text.slice(to)}`;
}

/** Writes `block` into the generated block of `file`. */
export function writeBlock(file, block) {
  writeFileSync(file, replaceBlock(readFileSync(file, 'utf8'), block));
}
