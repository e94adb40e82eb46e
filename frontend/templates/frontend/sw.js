/* The diary's service worker, rendered by frontend/pwa.py so that it knows the hashed static
   URLs and a cache version computed from everything it precaches.

   What it keeps: the app shell only (a data-free check-in form, an offline page, styles,
   scripts, icons). What it never keeps: /api/ answers and pages, which show health data.
   Offline, "/" gets the shell and every other page the offline page. */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "diary-shell-" + VERSION;
const PRECACHE = {{ precache|safe }};
const HOME_URL = "{{ home_url }}";
const SHELL_URL = "{{ shell_url }}";
const OFFLINE_URL = "{{ offline_url }}";
const STATIC_PREFIX = "{{ static_prefix }}";
const STATIC_CACHE_MODE = "{{ static_cache_mode }}";
const API_URLS = {{ api_urls|safe }};
const SYNC_TAG = "diary-outbox";

// The outbox, shared with the pages, so Background Sync can send check-ins with no page open.
importScripts("{{ outbox_url }}");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // Without cookies: the shell cannot carry anyone's data even by mistake.
    await cache.addAll(PRECACHE.map((url) => new Request(url, {
      credentials: "omit",
      cache: url.startsWith(STATIC_PREFIX) ? STATIC_CACHE_MODE : "reload",
    })));
    // Take over at once; the pages say "The app was updated" when the controller changes.
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name)));
    if (self.registration.navigationPreload) await self.registration.navigationPreload.enable();
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(API_URLS.prefix)) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event, url));
  } else if (url.pathname.startsWith(STATIC_PREFIX) || PRECACHE.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});

// Pages: always the network, so nobody sees stale or someone else's data; the shell or
// the offline page only when the network fails. Nothing a page answers is stored.
async function page(event, url) {
  try {
    const preloaded = await event.preloadResponse;
    return preloaded || await fetch(event.request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const home = url.pathname === HOME_URL || url.pathname === SHELL_URL;
    const fallback = home && await patientSignedIn() ? SHELL_URL : OFFLINE_URL;
    return (await cache.match(fallback)) || (await cache.match(OFFLINE_URL)) || Response.error();
  }
}

// The check-in shell is for the patient last signed in on this phone; a therapist's home,
// or nobody's, is the offline page.
async function patientSignedIn() {
  try {
    const user = await self.diaryOutbox.signedInUser();
    return Boolean(user && user.role === "patient");
  } catch (error) {
    return false;
  }
}

// Static files: their names change with their content, so a cached copy is never stale.
async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreVary: true, ignoreSearch: false });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && new URL(request.url).pathname.startsWith(STATIC_PREFIX)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(self.diaryOutbox.flush(API_URLS).then((summary) => {
    // A rejected sync is retried by the browser later, with back-off.
    if (summary.offline || summary.serverError) throw new Error("Check-ins not sent yet");
  }));
});
