// The app's shell kept on the phone, so that it opens without a signal and shows the last
// known status (kept by the page). Requests to the API are never answered from here nor queued:
// a write without a signal fails in front of the worker, who sends it again.
const SHELL = "pmi-app-v2";
const FILES = ["/app", "/app/app.js", "/app/app.css", "/app/manifest.webmanifest", "/app/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== SHELL).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !FILES.includes(url.pathname)) return;
  // the kept copy at once (a round trip on a slow signal is seconds), the network's in the
  // background for the next opening: a new version arrives, one opening late (the network's
  // when nothing is kept yet)
  const fresh = fetch(event.request).then((answer) => {
    const copy = answer.clone();
    if (answer.ok) caches.open(SHELL).then((cache) => cache.put(event.request, copy));
    return answer;
  });
  event.waitUntil(fresh.catch(() => null));
  event.respondWith(caches.match(event.request).then((kept) => kept || fresh));
});
