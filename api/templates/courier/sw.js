// AJIB courier service worker (scope /courier/): app shell cache-first, today's route network-first.
// Only same-origin GET requests are handled; writes (handovers, pings) go through the page's IndexedDB outbox.
const VERSION = "{{ version }}";
const SHELL_CACHE = "ajib-shell-" + VERSION;
const DATA_CACHE = "ajib-data-v1"; // the route: applicants' names and addresses, deleted by the page at logout
const GEO_CACHE = "ajib-geo-v1"; // the offline base map: public boundaries, kept
const SHELL = {{ shell_json }};

const BASEMAP = "/api/geo/basemap.geojson";

self.addEventListener("install", (event) => {
  // the plain base map comes with the shell (best effort): a first day offline still shows the kelurahan
  const basemap = caches.open(GEO_CACHE).then((cache) => cache.add(BASEMAP)).catch(() => null);
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => basemap).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("ajib-shell-") && k !== SHELL_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request, { ignoreVary: true });
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  // ?v=<version> on our own assets only busts HTTP caches; this cache is already per version.
  const cached = await caches.match(request, { ignoreVary: true, ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith("/static/")) {
    const cache = await caches.open(SHELL_CACHE);
    cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/courier/")) {
    event.respondWith(networkFirst(request, SHELL_CACHE).catch(() => caches.match("/courier/")));
    return;
  }
  if (url.pathname === "/api/courier/route") {
    event.respondWith(networkFirst(request, DATA_CACHE));
    return;
  }
  if (url.pathname === BASEMAP) {
    // offline, an office's base map not yet cached falls back to the plain one (areas without the office)
    event.respondWith(networkFirst(request, GEO_CACHE).catch(() => caches.match(BASEMAP).then((r) => r || Response.error())));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/courier/manifest.webmanifest") {
    event.respondWith(cacheFirst(request));
  }
});
