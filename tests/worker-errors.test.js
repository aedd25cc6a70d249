// An error across the line between the page's worker and the page
// (web/worker-errors.js): what the worker sends survives postMessage's
// clone and comes back as an Error with its name and every field the page
// words its sentences from (code, status, where, reason, url, file,
// field), never needing to read them out of the message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNetwork, loadNetwork, loadDataset } from 'mnist-wasm';
import { httpError } from '../web/lib/wasm.js';
import { errorOf, errorFrom } from '../web/worker-errors.js';

/** What the page receives for e: errorOf's data cloned as postMessage clones it, rebuilt. */
const across = (e) => errorFrom(structuredClone(errorOf(e)));

async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  throw new Error('it did not throw');
}

test("a refused model file keeps C's code, status, where and reason", async () => {
  const net = await createNetwork({ seed: 1 });
  const bytes = net.save();
  net.dispose();
  bytes[bytes.length >> 1] ^= 0xff;
  const e = await thrown(() => loadNetwork(bytes));
  const got = across(e);
  assert.instance(got, Error);
  for (const k of ['name', 'message', 'code', 'status', 'where', 'reason']) assert.is(got[k], e[k], k);
  assert.is(got.code, 'NN_ERR_CHECKSUM');
  assert.is(got.message, `${got.where}: ${got.reason}`);
});

test('a refused IDX file keeps which file of the pair it was (file) with its reason', async () => {
  const text = new TextEncoder().encode('not an idx file at all');
  const e = await thrown(() => loadDataset({ images: text, labels: new Uint8Array(8) }));
  const got = across(e);
  assert.is(got.file, 0);
  assert.is(got.code, 'NN_ERR_MAGIC');
  assert.match(got.reason, /^not an IDX file/);
});

test("an HTTP error keeps its status, statusText and url; a stack's field; a thrown string", () => {
  const url = 'https://example.org/data/train-images-idx3-ubyte.gz';
  const got = across(httpError({ status: 404, statusText: 'Not Found' }, url));
  assert.equal([got.status, got.statusText, got.url], [404, 'Not Found', url]);
  const stack = across(Object.assign(new RangeError('layers: no'), { field: 'layers' }));
  assert.equal([stack.name, stack.field, stack.message], ['RangeError', 'layers', 'layers: no']);
  const s = across('plain words');
  assert.equal([s.name, s.message], ['Error', 'plain words']);
});

test('fields postMessage cannot clone, or that are not plain, stay behind', () => {
  const e = Object.assign(new Error('x'), { code: 'C', retry: () => 1, detail: { a: 1 } });
  const got = across(e);
  assert.is(got.code, 'C');
  assert.is(got.retry, undefined);
  assert.is(got.detail, undefined);
});

test.run();
