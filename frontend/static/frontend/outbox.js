/* The outbox: check-ins saved on this phone until the diary has them.

   A plain script, not an ES module, on purpose: the service worker loads it with
   importScripts (module service workers are not in every browser), and the page
   modules load it for its side effect. Either way it defines self.diaryOutbox.

   IndexedDB "diary", two stores:
     outbox  {client_uuid, user_id, body, saved_at, state: "waiting" | "attention", problem, kind}
             kind "dose" goes to POST doses (doses.js, which adds medicine_label); anything else is a
             check-in (POST checkins). checkin.js shows both kinds in "attention" with the diary's words.
     meta    {key: "user", id, role}: who was last signed in here, for the offline shell
             {key: "zone", user_id, timezone}: their diary's time zone, for times typed in the shell

   One flush at a time across tabs and the worker (Web Locks). Even without the lock a
   check-in cannot be stored twice: the API answers a repeated client_uuid with 200. */
(() => {
  "use strict";

  const DB_NAME = "diary";
  const LOCK_NAME = "diary-outbox-flush";
  const CHANNEL_NAME = "diary-outbox";
  const TIMEOUT_MS = 20000;
  const channel = "BroadcastChannel" in self ? new BroadcastChannel(CHANNEL_NAME) : null;

  let opening = null;

  function database() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          request.result.createObjectStore("outbox", { keyPath: "client_uuid" });
          request.result.createObjectStore("meta", { keyPath: "key" });
        };
        request.onsuccess = () => {
          const db = request.result;
          // Let another tab, or Clear-Site-Data on sign-out, delete the database.
          db.onversionchange = () => { db.close(); opening = null; };
          db.onclose = () => { opening = null; };
          resolve(db);
        };
        request.onerror = () => { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  // One transaction on one store; resolves with the result of the request `work` makes.
  async function inStore(name, mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      const request = work(transaction.objectStore(name));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error || new Error("IndexedDB transaction aborted"));
    });
  }

  async function allItems() {
    const items = await inStore("outbox", "readonly", (store) => store.getAll());
    return items.sort((a, b) => a.saved_at - b.saved_at);
  }

  // Only ever one person's items: nobody sees (or sends) what someone else saved on this phone.
  async function items(userId) {
    return (await allItems()).filter((item) => item.user_id === userId);
  }

  async function save(item) {
    await inStore("outbox", "readwrite", (store) => store.put(item));
    announce({ changed: true });
  }

  async function remove(clientUuid) {
    await inStore("outbox", "readwrite", (store) => store.delete(clientUuid));
    announce({ changed: true });
  }

  async function update(clientUuid, changes) {
    const db = await database();
    await new Promise((resolve, reject) => {
      const transaction = db.transaction("outbox", "readwrite");
      const store = transaction.objectStore("outbox");
      const read = store.get(clientUuid);
      read.onsuccess = () => { if (read.result) store.put({ ...read.result, ...changes }); };
      transaction.oncomplete = resolve;
      transaction.onerror = () => reject(transaction.error);
    });
  }

  // Sign-out: everything this phone kept of anyone's diary.
  async function forget() {
    await inStore("outbox", "readwrite", (store) => store.clear());
    await inStore("meta", "readwrite", (store) => store.clear());
    announce({ changed: true });
  }

  async function rememberUser(user) {
    await inStore("meta", "readwrite", (store) => (user ? store.put({ key: "user", ...user }) : store.delete("user")));
  }

  async function signedInUser() {
    const record = await inStore("meta", "readonly", (store) => store.get("user"));
    if (!record) return null;
    const zone = await inStore("meta", "readonly", (store) => store.get("zone"));
    return { id: record.id, role: record.role, timezone: zone && zone.user_id === record.id ? zone.timezone : null };
  }

  // Kept apart from "user", which every page rewrites from what it knows (app.js): only the check-in page knows the zone.
  async function rememberZone(userId, timezone) {
    await inStore("meta", "readwrite", (store) => store.put({ key: "zone", user_id: userId, timezone }));
  }

  function announce(message) {
    if (channel) channel.postMessage(message);
  }

  function onChange(listener) {
    if (channel) channel.addEventListener("message", (event) => listener(event.data));
  }

  function request(url, options = {}) {
    const signal = AbortSignal.timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
    return fetch(url, { credentials: "same-origin", cache: "no-store", signal, ...options });
  }

  async function json(response) {
    try {
      return await response.json();
    } catch (error) {
      return {};
    }
  }

  // Send what waits, as the person signed in now, and only theirs. Returns what happened:
  // {userId, sent: [{client_uuid, recorded_at, alerts}], offline, signedOut, serverError}.
  async function flushNow(urls) {
    const summary = { userId: null, sent: [], offline: false, signedOut: false, serverError: false };
    const waiting = (await allItems()).filter((item) => item.state === "waiting");
    if (!waiting.length) return summary;
    let token;
    try {
      // Asked every time rather than trusted from the page: another tab may have signed in as someone else.
      const me = await request(urls.me, { headers: { Accept: "application/json" } });
      if (me.status === 401 || me.status === 403) return finish({ ...summary, signedOut: true });
      if (!me.ok) return finish({ ...summary, serverError: true });
      summary.userId = (await me.json()).id;
      if (!waiting.some((item) => item.user_id === summary.userId)) return finish(summary);
      const csrf = await request(urls.csrf, { headers: { Accept: "application/json" } });
      if (!csrf.ok) return finish({ ...summary, serverError: true });
      token = (await csrf.json()).csrfToken;
    } catch (error) {
      return finish({ ...summary, offline: true });
    }
    for (const item of waiting.filter((each) => each.user_id === summary.userId)) {
      let response;
      try {
        response = await request(item.kind === "dose" ? urls.doses : urls.checkins, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
          body: JSON.stringify(item.body),
        });
      } catch (error) {
        summary.offline = true;
        break;
      }
      const { status } = response;
      if (status === 200 || status === 201) {
        const stored = await json(response);
        await inStore("outbox", "readwrite", (store) => store.delete(item.client_uuid));
        summary.sent.push({
          client_uuid: item.client_uuid, kind: item.kind || "checkin", recorded_at: item.body.recorded_at, alerts: stored.alerts || [],
        });
      } else if (status === 401 || status === 403) {
        // Kept, to send as the same person once they sign in again.
        summary.signedOut = true;
        break;
      } else if (status >= 500 || status === 408 || status === 429) {
        summary.serverError = true;
        break;
      } else {
        // 400, 409 and the like: the same request would fail the same way. The person decides.
        await update(item.client_uuid, { state: "attention", problem: { status, answer: await json(response) } });
      }
    }
    return finish(summary);
  }

  function finish(summary) {
    announce(summary);
    return summary;
  }

  let localFlush = null;

  function flush(urls) {
    if (self.navigator.locks) return self.navigator.locks.request(LOCK_NAME, () => flushNow(urls));
    if (!localFlush) localFlush = flushNow(urls).finally(() => { localFlush = null; });
    return localFlush;
  }

  self.diaryOutbox = Object.freeze({
    items, save, remove, update, forget, rememberUser, signedInUser, rememberZone, flush, onChange,
  });
})();
