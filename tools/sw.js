// DistSys Lab's service worker: after one visit the whole site works offline. `tools/offline.sh`
// writes it into the build with the build's file list and a version made of their hashes, so a
// new build is a new cache and the old one is removed when the new worker takes over.
// Same-origin GETs are served cache-first; a navigation offline gets the cached page.
const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = "dslab-" + VERSION;

self.addEventListener("install", (event) => {
  // Past the HTTP cache: the files of this build, not whatever an earlier visit left there.
  const fresh = ["./", ...FILES].map((url) => new Request(url, { cache: "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("dslab-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// The page asks a waiting worker to take over when the reader chooses to reload.
self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(request, { ignoreSearch: true });
      if (hit) return hit;
      try {
        return await fetch(request);
      } catch (offline) {
        if (request.mode === "navigate") {
          const page = await cache.match("./");
          if (page) return page;
        }
        throw offline;
      }
    }),
  );
});
