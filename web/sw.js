// sw.js: the page's service worker (registered by offline.js). Its jobs:
//  - isolation: this origin's responses get Cross-Origin-Opener-Policy and
//    -Embedder-Policy, so that on a static host that sends neither the page
//    is cross-origin isolated (SharedArrayBuffer, threads) once it is
//    controlled;
//  - offline: the files of build/cache-manifest.js (the page, its scripts,
//    the wasm modules, the default data) are kept in a cache named for their
//    version, checked against their size and SHA-256 when they go in and
//    again each time they are served: a truncated or stale copy is fetched
//    anew, never handed to the page;
//  - a probe the page asks for: whether a server that could not be read
//    answers at all (then it lacks CORS), or does not answer.
// Other origins' requests are not touched: they go to the network under the
// page's own rules. It is a classic script because importScripts takes part
// in the browser's update check: a new manifest is a new service worker.

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

let manifest = null;
try {
  importScripts('build/cache-manifest.js');
  manifest = self.CACHE_MANIFEST;
} catch {
  // not built: isolation still works; nothing is kept offline
}

const PREFIX = 'mnist-wasm-';
const CACHE = manifest ? `${PREFIX}${manifest.version}-${manifest.hash}` : null;
const scope = new URL(self.registration.scope);
const kept = new Map((manifest?.files ?? []).map((f) => [new URL(f.path, scope).href, f]));

/* ---------- checking a copy ---------- */

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** The bytes of res if they are the file's (size, then SHA-256), else null. */
async function verified(res, file) {
  if (!res || !res.ok) return null;
  const bytes = await res.arrayBuffer();
  if (bytes.byteLength !== file.size) return null;
  if (hex(await crypto.subtle.digest('SHA-256', bytes)) !== file.sha256) return null;
  return bytes;
}

/** A response to keep: the file's bytes with the type the server gave them. */
function keepable(bytes, type) {
  return new Response(bytes, { headers: { 'Content-Type': type || 'application/octet-stream' } });
}

/** The file from the network, bypassing the HTTP cache; { res, bytes } with bytes null when it is not the file's. */
async function fromNetwork(url, file) {
  const res = await fetch(url, { cache: 'reload', credentials: 'same-origin' });
  const bytes = await verified(res.clone(), file);
  return { res, bytes };
}

/* ---------- install: the new version's files, checked ---------- */

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      if (CACHE) {
        const cache = await caches.open(CACHE);
        for (const [url, file] of kept) {
          if (await verified(await cache.match(url), file)) continue; // a retried install
          // a copy an older version kept is as good when it is the same bytes
          const old = await caches.match(url);
          let bytes = await verified(old?.clone(), file);
          let type = old?.headers.get('Content-Type');
          if (!bytes) {
            const got = await fromNetwork(url, file);
            // the server's file is not the one the manifest names: a deploy
            // under way or a stale build; this version is not installed
            if (!got.bytes)
              throw new Error(`${url}: not the file of ${CACHE} (HTTP ${got.res.status}, or another size or SHA-256)`);
            ({ bytes } = got);
            type = got.res.headers.get('Content-Type');
          }
          await cache.put(url, keepable(bytes, type));
        }
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

/* ---------- fetch: kept files from the cache, everything with isolation headers ---------- */

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin) return;
  event.respondWith(respond(request, url));
});

/** The URL a request means among the kept files: a folder means its index.html. */
function keptUrl(url) {
  const u = new URL(url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname, url);
  return u.href;
}

async function respond(request, url) {
  const key = keptUrl(url);
  const file = kept.get(key);
  if (!file) return isolate(await fetch(request));
  // storage that refuses (full, blocked) only means the network serves
  const cache = await caches.open(CACHE).catch(() => null);
  const cached = await cache?.match(key).catch(() => undefined);
  if (cached) {
    const bytes = await verified(cached.clone(), file);
    if (bytes) return isolate(new Response(bytes, { headers: cached.headers }));
    await cache.delete(key).catch(() => {}); // truncated or altered: never served; fetched anew below
  }
  let got;
  try {
    got = await fromNetwork(key, file);
  } catch {
    const why = `Server unreachable, and the copy kept for offline use is ${cached ? 'damaged' : 'missing'}`;
    return new Response(`${url.pathname}: ${why}\n`, {
      status: 503,
      statusText: why,
      headers: { 'Content-Type': 'text/plain; charset=utf-8', ...ISOLATION },
    });
  }
  if (got.bytes) {
    await cache?.put(key, keepable(got.bytes, got.res.headers.get('Content-Type'))).catch(() => {});
    return isolate(new Response(got.bytes, { status: got.res.status, headers: got.res.headers }));
  }
  // The server has another version of the file than this worker knows:
  // serve what the server says now, keep nothing, and look for the new worker.
  self.registration.update().catch(() => {});
  return isolate(got.res);
}

/** res with the isolation headers (a redirect or an opaque response cannot take headers and stays as it is). */
function isolate(res) {
  if (res.type === 'opaqueredirect' || res.type === 'opaque' || res.status === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/* ---------- messages from the page ---------- */

// Each comes with a port for the answer:
//   { type: 'version' }     -> { cache }: the cache this worker keeps (null when nothing is kept)
//   { type: 'probe', url }  -> { answered }: whether a server is there at all. This worker's own
//     script is served without COEP, so it may make the no-cors request that the isolated page may
//     not: an opaque answer means the server is up but sent no CORS header for the page.
self.addEventListener('message', (event) => {
  const { type, url } = event.data ?? {};
  const port = event.ports[0];
  if (!port) return;
  if (type === 'version') port.postMessage({ cache: CACHE });
  if (type === 'probe' && !/^https?:/.test(String(url))) port.postMessage({ answered: null });
  else if (type === 'probe') {
    event.waitUntil(
      fetch(url, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' }).then(
        () => port.postMessage({ answered: true }),
        () => port.postMessage({ answered: false }),
      ),
    );
  }
});
