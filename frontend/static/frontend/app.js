// Every page: installs the service worker, remembers who is signed in on this phone,
// sends the outbox whenever there is a chance, and warns before sign-out loses check-ins.
import "./outbox.js";

export const outbox = self.diaryOutbox;

const data = document.body.dataset;
const shell = data.appShell;
const SYNC_TAG = "diary-outbox";
const RETRY_MS = 30000;

export const apiUrls = { me: data.apiMe, csrf: data.apiCsrf, checkins: data.apiCheckins, doses: data.apiDoses };

// A line in the page's status region (base.html), read out by screen readers.
export function say(text) {
  const line = document.createElement("p");
  line.className = "message message-info";
  line.textContent = text;
  document.querySelector(".messages").append(line);
}

export function count(n) {
  return n === 1 ? "1 check-in" : `${n} check-ins`;
}

// --- the service worker ---------------------------------------------------

if ("serviceWorker" in navigator) {
  const updating = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (updating) say("The app was updated.");
  });
  navigator.serviceWorker.register(data.serviceWorker, { scope: "/", updateViaCache: "none" }).catch(() => {});
}

export async function syncLater() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register(SYNC_TAG);
  } catch (error) {
    // No Background Sync here: the page sends on load, on `online` and when shown again.
  }
}

// --- who is signed in on this phone ---------------------------------------

// The page says; the offline shell names nobody, so it asks what the last real page said.
export async function currentUser() {
  if (data.userId) return { id: Number(data.userId), role: data.userRole };
  if (!shell) return null;
  try {
    return await outbox.signedInUser();
  } catch (error) {
    return null;
  }
}

if (!shell) {
  const user = data.userId ? { id: Number(data.userId), role: data.userRole } : null;
  outbox.rememberUser(user).catch(() => {});
}

// --- sending --------------------------------------------------------------

const listeners = new Set();
const summaries = [];
let running = null;
let again = false;
let retry = null;

// Whatever sent (this page, another tab, the worker), every listener hears it once.
export function onSummary(listener) {
  listeners.add(listener);
  summaries.forEach(listener);
}

function heard(summary) {
  summaries.push(summary);
  listeners.forEach((listener) => listener(summary));
  if (summary.serverError && !retry) retry = setTimeout(() => { retry = null; requestFlush(); }, RETRY_MS);
  followAlerts(summary);
}

// One flush at a time from this page; a request during one runs another right after it.
export function requestFlush() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    let summary = null;
    do {
      again = false;
      summary = await outbox.flush(apiUrls).catch(() => null);
      if (summary) heard(summary);
    } while (again);
    return summary;
  })().finally(() => { running = null; });
  return running;
}

// The diary answered with emergency or urgent flags. One that a check-in made news ("new": raised,
// raised again, or an emergency symptom reported) gets the full-screen "what to do now", as the plain
// form would; one already open gets a calm line, once per page (CLINICAL.md 1.1).
const calmLinesSaid = new Set();

async function followAlerts(summary) {
  const user = await currentUser();
  if (!user || summary.userId !== user.id) return;
  const alerts = (summary.sent || []).flatMap((sent) => sent.alerts);
  if (!alerts.length || document.visibilityState !== "visible") return;
  if (alerts.some((alert) => alert.new)) {
    if (new URL(data.alertUrl, location.href).pathname !== location.pathname) location.assign(data.alertUrl);
    return;
  }
  for (const alert of alerts) {
    if (alert.status && !calmLinesSaid.has(alert.status)) {
      calmLinesSaid.add(alert.status);
      say(alert.status);
    }
  }
}

outbox.onChange((message) => {
  if ("sent" in message) heard(message);
  else listeners.forEach((listener) => listener(message));
});

requestFlush();
addEventListener("online", requestFlush);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") requestFlush();
});

// --- signing out on a shared phone ------------------------------------------

const signOutForm = document.querySelector("form[data-sign-out]");
const signOutDialog = document.getElementById("sign-out-dialog");

async function unsent() {
  const user = await currentUser();
  if (!user) return [];
  try {
    return await outbox.items(user.id);
  } catch (error) {
    return [];
  }
}

// "1 check-in", "2 check-ins and 1 dose": the outbox keeps doses (doses.js) beside check-ins.
function unsentWords(items) {
  const doses = items.filter((item) => item.kind === "dose").length;
  const checkins = items.length - doses;
  const words = [];
  if (checkins) words.push(count(checkins));
  if (doses) words.push(doses === 1 ? "1 dose" : `${doses} doses`);
  return words.join(" and ");
}

// This phone's reminders are the person's who signs out: the server forgets the subscription and
// the browser drops it, so whoever uses the phone next is not reminded of someone else's diary.
async function forgetReminders() {
  if (!data.apiPushSubscriptions || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = registration && (await registration.pushManager.getSubscription());
  if (!subscription) return;
  const headers = { Accept: "application/json" };
  const listed = await fetch(data.apiPushSubscriptions, { headers, credentials: "same-origin" });
  const mine = listed.ok ? (await listed.json()).find((item) => item.endpoint === subscription.endpoint) : null;
  if (mine) {
    const token = (await (await fetch(apiUrls.csrf, { headers, credentials: "same-origin" })).json()).csrfToken;
    await fetch(`${data.apiPushSubscriptions}/${mine.id}`, {
      method: "DELETE",
      headers: { ...headers, "X-CSRFToken": token },
      credentials: "same-origin",
    });
  }
  await subscription.unsubscribe();
}

async function signOut() {
  try {
    // The server's Clear-Site-Data does this too; not every browser honours it.
    await outbox.forget();
  } catch (error) {
    // Nothing stored, or storage unavailable: nothing to forget.
  }
  try {
    // At most a few seconds: signing out must not wait on a slow network.
    await Promise.race([forgetReminders(), new Promise((done) => setTimeout(done, 3000))]);
  } catch (error) {
    // The push service will answer 410 for a dropped subscription, and the sender removes it then.
  }
  signOutForm.submit();
}

if (signOutForm && signOutDialog) {
  signOutForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!navigator.onLine) {
      say("You are offline. Sign out when you are back online: signing out needs a connection.");
      return;
    }
    let items = await unsent();
    if (items.length) {
      await requestFlush();
      items = await unsent();
    }
    const waiting = items.length;
    if (!waiting) {
      signOut();
      return;
    }
    const they = waiting === 1 ? "it" : "they";
    signOutDialog.querySelector("#sign-out-what").textContent =
      `${unsentWords(items)} saved on this phone ${waiting === 1 ? "has" : "have"} not reached your diary yet. ` +
      `If you sign out now, ${they} will be deleted from this phone.`;
    signOutDialog.showModal();
  });
  signOutDialog.querySelector("[data-sign-out-stay]").addEventListener("click", () => {
    signOutDialog.close();
    say("You are still signed in. Your check-ins will be sent when the phone is online.");
  });
  signOutDialog.querySelector("[data-sign-out-anyway]").addEventListener("click", () => {
    signOutDialog.close();
    signOut();
  });
}
