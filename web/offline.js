// offline.js: the page's side of its service worker (sw.js): registers it;
// reloads the page once when the worker first controls a page that is not
// cross-origin isolated yet (a static host that sends no isolation headers),
// but only while the person has not started anything, and never twice in a
// tab, so there is no reload loop; and asks the worker whether a server
// that could not be read answers at all. No DOM here (onNote gets words).

const RELOADED = 'mnist-wasm:isolation-reload'; // sessionStorage: this tab reloaded for isolation once

/**
 * Registers sw.js. untouched() says whether a reload would lose nothing the
 * person did; onNote(text) shows how the page is kept for offline use.
 */
export async function startServiceWorker({ untouched = () => false, onNote = () => {} } = {}) {
  const sw = navigator.serviceWorker;
  if (!sw || !globalThis.isSecureContext) return null; // no service worker: the page works online only
  const hadController = !!sw.controller;
  sw.addEventListener('controllerchange', () => {
    if (!globalThis.crossOriginIsolated) reloadForIsolation(untouched);
    else if (hadController) onNote('A new version of this page is kept for offline use; reload to use it.');
  });
  let registration;
  try {
    registration = await sw.register(new URL('./sw.js', import.meta.url), { updateViaCache: 'none' });
  } catch (e) {
    // offline, the update check of a worker that is already there fails: that one still serves
    registration = await sw.getRegistration().catch(() => null);
    if (!registration?.active) {
      onNote(`This page is not kept for offline use: its service worker did not start (${e.message}).`);
      return null;
    }
  }
  if (sw.controller && !globalThis.crossOriginIsolated) reloadForIsolation(untouched);
  sw.ready.then(async (r) => {
    const { cache } = (await ask(r.active, { type: 'version' }, 10_000)) ?? {}; // not urgent: a busy machine may take its time
    if (cache)
      onNote(`This page, its module and the default data are kept in this browser (${cache}): it works offline.`);
  });
  return registration;
}

/** One request to the service worker over a port of its own; its answer, or null after timeout ms. */
function ask(worker, message, timeout = 3000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeout);
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = (e) => {
      clearTimeout(timer);
      resolve(e.data ?? null);
    };
    worker.postMessage(message, [port2]);
  });
}

function reloadForIsolation(untouched) {
  let tried;
  try {
    tried = sessionStorage.getItem(RELOADED);
    if (tried || !untouched()) return; // once per tab; else isolation comes with the next visit
    sessionStorage.setItem(RELOADED, String(Date.now()));
  } catch {
    return; // no sessionStorage: no guard against a loop, so no reload
  }
  location.reload();
}

/**
 * Whether the server of url answers at all (true or false), asked of the
 * service worker, which may make the no-cors request an isolated page may
 * not; null when that cannot be told (no service worker, or no answer in
 * time).
 */
export async function serverAnswers(url, timeout = 3000) {
  const sw = navigator.serviceWorker;
  if (!sw) return null;
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), timeout);
  });
  const registration = await Promise.race([sw.ready, late]);
  clearTimeout(timer);
  if (!registration?.active) return null;
  return (await ask(registration.active, { type: 'probe', url: String(url) }, timeout))?.answered ?? null;
}
