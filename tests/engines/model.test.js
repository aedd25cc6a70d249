// The model and the pad, in the engine of MNIST_ENGINE: the reference model
// (the page's defaults trained by the native CLI) opened through the Open
// model file input, then Save model gives back its bytes exactly; with it,
// digits drawn on the pad with real pointer input (two styles of each digit
// from tests/helpers/strokes.js, drawn large) read right at least 19 times
// in 20; and a drawing labelled with "This digit is" stays in the personal
// set across a reload.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drawings } from '../helpers/strokes.js';
import { referenceModel } from '../helpers/reference.js';
import {
  ENGINE,
  suite,
  openPage,
  openModel,
  savedModel,
  drawAndRead,
  dataValue,
  whenReady,
  assertNoProblems,
} from './page.js';

// Chromium's full suite reads 179 of the 180 drawings (tests/browser/drawings.test.js).
const RIGHT_FLOOR = 19;

/** Two styles of each digit, drawn large: 20 drawings. */
function selection() {
  const large = drawings().filter((d) => d.group === 'large');
  const out = [];
  for (let digit = 0; digit < 10; digit++) out.push(...large.filter((d) => d.label === digit).slice(0, 2));
  return out;
}

const { ready, close } = suite();
test.after(close);

const reference = referenceModel();

test('opens a model file, and Save model gives back its bytes', async () => {
  const { server, b } = await ready();
  await openPage(b, server.url);
  await openModel(b, reference.file);
  const saved = await savedModel(b);
  assert.is(saved.name, 'mnist-model.mnwm');
  assert.is(saved.bytes.length, reference.bytes.length, 'size of the saved model');
  assert.ok(saved.bytes.equals(reference.bytes), `${ENGINE}: the saved bytes differ from the file opened`);
  await assertNoProblems(b, 'after opening and saving a model');
});

test('reads digits drawn on the pad with the pointer', async () => {
  const { b } = await ready();
  const set = selection();
  assert.is(set.length, 20);
  const t0 = Date.now();
  const results = [];
  for (const d of set) results.push({ ...d, read: await drawAndRead(b, d.strokes) });
  const right = results.filter((r) => r.read === r.label).length;
  const wrong = results.filter((r) => r.read !== r.label).map((r) => `${r.style} -> ${r.read}`);
  console.log(
    `    ${ENGINE}: ${right}/${results.length} drawings read right in ${((Date.now() - t0) / 1000).toFixed(0)} s${wrong.length ? `; misread: ${wrong.join(', ')}` : ''}`,
  );
  assert.ok(right >= RIGHT_FLOOR, `${ENGINE}: ${right}/${results.length} read right, fewer than ${RIGHT_FLOOR}`);
  await assertNoProblems(b, 'after drawing');
});

test('keeps a labelled drawing in the personal set across a reload', async () => {
  const { b } = await ready();
  const count = () => dataValue(b, '#personal-count');
  assert.is(await count(), '0', 'an empty set in a fresh profile');
  const seven = selection().find((d) => d.label === 7);
  assert.is(await drawAndRead(b, seven.strokes), 7);
  // the group's buttons are enabled once the drawing has been read
  const button = '[role=group][aria-label="This digit is"] button[data-digit="7"]';
  await b.waitFor((sel) => !document.querySelector(sel).disabled, button, { what: 'the "This digit is" 7 button' });
  await b.click(button);
  await b.waitFor(() => document.getElementById('personal-count').dataset.value === '1', null, {
    what: 'the personal set to hold one digit',
  });
  await b.reload();
  await whenReady(b);
  // the set is read from IndexedDB as the page starts: 0 in the HTML until then
  await b.waitFor(() => document.getElementById('personal-count').dataset.value !== '0', null, {
    what: 'the kept digits to be read after the reload',
  });
  assert.is(await count(), '1', 'the personal set after a reload');
  const labels = await b.evaluate(() =>
    [...document.querySelectorAll('#personal-list figcaption')].map((c) => c.textContent),
  );
  assert.equal(labels, ['7'], 'the kept digit and its label');
  await assertNoProblems(b, 'after the reload');
});

test.run();
