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
const ICON_URL = "{{ icon_url }}";

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

// --- reminders (Web Push) ----------------------------------------------------------------
// A reminder's payload is {title, body, url} and says nothing about health or the person:
// a lock screen shows it to anyone. Whatever comes, only a path of this site is opened.
const REMINDER_DEFAULTS = { title: "Time for your check-in", body: "A minute for your diary.", url: HOME_URL };

function reminderFrom(event) {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch (error) {
    payload = {};
  }
  const text = (value, fallback) => (typeof value === "string" && value.trim() ? value.slice(0, 200) : fallback);
  const url = typeof payload.url === "string" && payload.url.startsWith("/") && !payload.url.startsWith("//")
    ? payload.url
    : REMINDER_DEFAULTS.url;
  return { title: text(payload.title, REMINDER_DEFAULTS.title), body: text(payload.body, REMINDER_DEFAULTS.body), url };
}

self.addEventListener("push", (event) => {
  const reminder = reminderFrom(event);
  event.waitUntil(self.registration.showNotification(reminder.title, {
    body: reminder.body,
    icon: ICON_URL,
    badge: ICON_URL,
    // One reminder on the screen at a time: a newer one replaces the one not yet read.
    tag: "diary-reminder",
    data: { url: reminder.url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || HOME_URL, self.location.origin);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = windows.find((client) => new URL(client.url).pathname === target.pathname);
    if (same) {
      // The page decides whether to load afresh (checkin.js: only when no answer would be lost), so that
      // a question that came due since it loaded ("Did it help?") is shown.
      same.postMessage({ type: "notification-opened" });
      return same.focus();
    }
    if (windows.length) {
      // An open diary goes to the check-in page rather than a second copy being opened. Focusing
      // is allowed only from the tap itself; going to the page does not depend on it.
      const client = windows[0];
      try {
        await client.focus();
      } catch (error) {
        // Not focused: the page still changes, and the person sees it when they switch to it.
      }
      try {
        return await client.navigate(target.href);
      } catch (error) {
        // A window this worker does not control cannot be sent elsewhere: open the page instead.
      }
    }
    return self.clients.openWindow(target.href);
  })());
});
