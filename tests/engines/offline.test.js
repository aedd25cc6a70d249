// Offline after one visit, in the engine of MNIST_ENGINE: once the page has
// loaded and its service worker (web/sw.js) controls it and says it keeps
// the page for offline use, the server is closed and the page reloaded: it
// loads from the service worker, the network becomes ready, and with a
// model opened from a file a digit drawn on the pad reads right.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { drawings } from '../helpers/strokes.js';
import { referenceModel } from '../helpers/reference.js';
import { ENGINE, suite, openPage, openModel, drawAndRead, whenReady, assertNoProblems } from './page.js';

const { ready, close } = suite();
test.after(close);

test('after one visit the page works with its server gone', async () => {
  const { server, b } = await ready();
  await openPage(b, server.url);
  // installing keeps the page, its modules and the default data (11 MB), each checked by SHA-256
  await b.waitFor(
    () =>
      !!navigator.serviceWorker?.controller &&
      /works offline/.test(document.getElementById('offline-note').textContent),
    null,
    { timeout: 60_000, what: 'the service worker to control the page and say it works offline' },
  );
  await server.close();
  const refused = await fetch(server.url).then(
    () => false,
    () => true,
  );
  assert.ok(refused, 'the server is gone');

  await b.reload();
  assert.ok(
    await b.evaluate(() => !!navigator.serviceWorker.controller),
    `${ENGINE}: the service worker serves the page`,
  );
  await whenReady(b);
  assert.is(await b.evaluate(() => crossOriginIsolated), true, "isolated by the service worker's headers");
  await openModel(b, referenceModel().file);
  const two = drawings().find((d) => d.label === 2 && d.group === 'large');
  assert.is(await drawAndRead(b, two.strokes), 2, 'a 2 drawn offline');
  await assertNoProblems(b, 'offline');
});

test.run();
