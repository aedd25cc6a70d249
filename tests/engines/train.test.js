// Starting and training, in the engine of MNIST_ENGINE: the page loads with
// no errors and Train disabled while the server holds its WebAssembly back;
// Enter in the Data URL field before the network is ready is kept, and
// training starts once it is; with its defaults (full MNIST, 10 epochs) the
// page reaches its usual test accuracy and, trained again on the whole
// downloaded set, makes the native CLI's model byte for byte; and it says on
// how many threads it trains and why: the Threads control's count where
// SharedArrayBuffer exists (this page is cross-origin isolated), one thread
// in WebKitGTK, which has none, with a note that blames the browser, not the
// server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { staticHandler } from '../../scripts/serve.js';
import {
  ENGINE,
  TRAIN,
  DATA_URL,
  suite,
  statusText,
  dataValue,
  statusMatches,
  assertNoProblems,
  savedModel,
} from './page.js';
import { referenceModel } from '../helpers/reference.js';

// The page's defaults reach 0.9836 natively and the page makes the same model.
const FLOOR = 0.979;
const HELD_MS = 1500;

// Both builds of the module (web/lib/wasm.js picks one by SharedArrayBuffer) come 1.5 s late.
const files = staticHandler();
let heldBack = 0;
const held = (req, res) => {
  heldBack++;
  setTimeout(() => files(req, res), HELD_MS);
};
const { ready, close } = suite({ '/build/mnist.wasm': held, '/build/mnist-threads.wasm': held });
test.after(close);

const seconds = (t0) => ((Date.now() - t0) / 1000).toFixed(0);

/** Waits for the new network that Reset makes (the page says "new, untrained" beside the model). */
const untrained = (b) =>
  b.waitFor(
    (sel) =>
      /untrained/.test(document.getElementById('model-info').textContent) && !document.querySelector(sel).disabled,
    TRAIN,
    { what: 'a new, untrained network after Reset' },
  );

const threadsNote = (b) =>
  b.evaluate(() => {
    const n = document.getElementById('threads-note');
    return { hidden: n.hidden, text: n.textContent };
  });

test('starts with Train disabled; Enter in the Data URL field before it is ready trains once it is', async () => {
  const { server, b } = await ready();
  await b.goto(server.url);
  const first = await b.evaluate((sel) => document.querySelector(sel).disabled, TRAIN);
  assert.is(first, true, 'Train is disabled at first sight, while the network loads');
  await b.press(DATA_URL, 'Enter');
  // still disabled after the key: the press came before the network was ready
  assert.is(await b.evaluate((sel) => document.querySelector(sel).disabled, TRAIN), true, 'Train after Enter');
  assert.match(await statusText(b), /^Loading the network… training starts as soon as it is ready\.$/);
  // Train stays disabled while it trains: the status tells that the queued press started it
  await statusMatches(b, /^(Downloading|Training)/, { timeout: 30_000, what: 'the queued training to start' });
  assert.ok(heldBack > 0, 'the page asked for the held-back module');
  await assertNoProblems(b, 'while starting');
});

test('trains with its defaults to its usual test accuracy, the model of the native CLI', async () => {
  const { b } = await ready();
  // about 13 s here in each engine; the limits are hang guards
  let t0 = Date.now();
  await statusMatches(b, /^Done/, { timeout: 150_000, what: 'the queued training to finish (Done)' });
  const streamed = Number(await dataValue(b, '#accuracy'));
  console.log(`    ${ENGINE}: trained as the data streamed in ${seconds(t0)} s: test accuracy ${streamed}`);
  // That run began on the first digits to arrive, so its model depends on
  // how fast they came. With the whole set downloaded, Reset and Train make
  // the model the CLI makes with these defaults: the reference model's bytes.
  await b.click('#reset');
  await untrained(b);
  t0 = Date.now();
  await b.click(TRAIN);
  const done = await statusMatches(b, /^Done/, { timeout: 150_000, what: 'training to finish (Done)' });
  const accuracy = Number(await dataValue(b, '#accuracy'));
  console.log(`    ${ENGINE}: trained on the whole set in ${seconds(t0)} s: test accuracy ${accuracy}`);
  assert.match(done, /^Done: 10 epochs/);
  assert.ok(accuracy >= FLOOR, `${ENGINE}: test accuracy ${accuracy} below ${FLOOR}`);
  const reference = referenceModel();
  const saved = await savedModel(b);
  assert.ok(
    saved.bytes.equals(reference.bytes),
    `${ENGINE}: the page's model is not the CLI's (${saved.bytes.length} bytes)`,
  );
  await assertNoProblems(b, 'after training');
});

test('trains on the threads it says, and says why when fewer than asked', async () => {
  const { b } = await ready();
  const isolated = await b.evaluate(() => crossOriginIsolated);
  const sab = await b.evaluate(() => typeof SharedArrayBuffer === 'function');
  assert.is(isolated, true, 'the page is cross-origin isolated');
  assert.is(sab, ENGINE !== 'webkit', 'SharedArrayBuffer: in every engine but WebKitGTK');

  const control = await b.evaluate(() => document.getElementById('threads').value);
  const note = await threadsNote(b);
  if (ENGINE === 'webkit') {
    assert.is(control, '1', 'the Threads control starts at the one thread that can run here');
    assert.is(await dataValue(b, '#speed', 'threads'), '1', 'threads of the default training');
    assert.is(note.hidden, false, 'the note is shown');
    assert.match(note.text, /^Training uses 1 thread: this browser has no SharedArrayBuffer/);
  } else {
    assert.is(await dataValue(b, '#speed', 'threads'), control, 'threads of the default training: the control');
    assert.is(note.hidden, true, `no note: "${note.text}"`);
  }

  // Two threads, on a mini-batch large enough to split, for one epoch of the small split
  await b.type('#threads', '2');
  await b.type('#batch', '64');
  await b.type('#epochs', '1');
  await b.type(DATA_URL, 'data/small/');
  await b.click('#reset'); // the threads are the network's: a new one takes them
  await untrained(b);
  await b.click(TRAIN);
  await statusMatches(b, /^Done: 1 epoch,/, { timeout: 120_000, what: 'one epoch of the small split' });
  const after = await threadsNote(b);
  if (ENGINE === 'webkit') {
    assert.is(await dataValue(b, '#speed', 'threads'), '1');
    assert.is(after.hidden, false);
    assert.match(
      after.text,
      /^Training uses 1 thread: this browser has no SharedArrayBuffer, even on this cross-origin isolated page\.$/,
    );
    // the page is isolated: the note must not send the person to the server's headers
    assert.not.match(after.text, /Cross-Origin-(Opener|Embedder)-Policy|header|serve the page/i);
  } else {
    assert.is(await dataValue(b, '#speed', 'threads'), '2', 'the threads of the control');
    assert.is(after.hidden, true, `no note: "${after.text}"`);
  }
  await assertNoProblems(b, 'after training on 2 threads');
});

test.run();
