// The settings page's "Reminders on this phone": subscribe this browser to push with the server's
// VAPID key, tell the server, and say plainly whether this phone will be reminded. The browser's
// permission is asked only from a tap on the button, never on page load. Without this script
// (or push support) the page keeps its plain form: times, on/off and email still work.
import { apiUrls } from "./app.js";

const box = document.querySelector("[data-push-setup]");
const statusLine = box.querySelector("[data-push-status]");
const subscribeButton = box.querySelector("[data-push-subscribe]");
const unsubscribeButton = box.querySelector("[data-push-unsubscribe]");
const iosNote = document.querySelector("[data-push-ios]");
const unavailableNote = document.querySelector("[data-push-unavailable]");
const remindersOn = Boolean(box.dataset.remindersOn);

// iPhones and iPads (iPadOS says "Macintosh" but has a touch screen) allow push only to a
// diary opened from the Home Screen.
const onIos = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
  (navigator.userAgent.includes("Macintosh") && navigator.maxTouchPoints > 1);
const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function show(text, { subscribe = false, unsubscribe = false } = {}) {
  statusLine.textContent = text;
  subscribeButton.hidden = !subscribe;
  unsubscribeButton.hidden = !unsubscribe;
}

// The key arrives as base64url; pushManager.subscribe wants the bytes.
function keyBytes(base64url) {
  const base64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

async function csrfToken() {
  const response = await fetch(apiUrls.csrf, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  return (await response.json()).csrfToken;
}

async function api(url, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = await csrfToken();
    headers["Content-Type"] = "application/json";
  }
  return fetch(url, { method, headers, credentials: "same-origin", body: body && JSON.stringify(body) });
}

async function serverSubscriptions() {
  const response = await api(box.dataset.apiPushSubscriptions);
  return response.ok ? response.json() : [];
}

// How this phone stands: the browser's subscription, and whether the server has it.
async function describe() {
  if (Notification.permission === "denied") {
    show("Notifications are blocked for this diary in your browser's settings, so this phone will not be reminded. Allow them there, then come back.");
    return;
  }
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription();
  const known = subscription && (await serverSubscriptions()).some((item) => item.endpoint === subscription.endpoint);
  if (!known) {
    show("This phone is not set up for reminders.", { subscribe: true });
  } else if (remindersOn) {
    show("This phone will be reminded at the times above.", { unsubscribe: true });
  } else {
    show("This phone is set up, but reminders on the phone are off: tick “Remind me to check in” and “On my phone” above, then save.", { unsubscribe: true });
  }
}

async function subscribe() {
  subscribeButton.disabled = true;
  try {
    // Asked here, from the tap: browsers (Safari above all) refuse a request made without one.
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      await describe();
      if (permission === "default") show("This phone was not set up: the browser did not get your permission.", { subscribe: true });
      return;
    }
    const keyAnswer = await api(box.dataset.apiPushKey);
    if (!keyAnswer.ok) {
      show("Reminders on phones are not available on this server yet. Email reminders still work.");
      return;
    }
    const { public_key: publicKey } = await keyAnswer.json();
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(publicKey),
    });
    const saved = await api(box.dataset.apiPushSubscriptions, { method: "POST", body: subscription.toJSON() });
    if (!saved.ok) {
      show("This phone could not be set up just now. Try again in a while.", { subscribe: true });
      return;
    }
    await describe();
  } catch (error) {
    show("This phone could not be set up: the browser could not reach its push service. Try again when online.", { subscribe: true });
  } finally {
    subscribeButton.disabled = false;
  }
}

async function unsubscribe() {
  unsubscribeButton.disabled = true;
  try {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    if (subscription) {
      const mine = (await serverSubscriptions()).find((item) => item.endpoint === subscription.endpoint);
      if (mine) await api(`${box.dataset.apiPushSubscriptions}/${mine.id}`, { method: "DELETE" });
      await subscription.unsubscribe();
    }
    await describe();
  } catch (error) {
    show("That did not work just now. Try again when online.", { unsubscribe: true });
  } finally {
    unsubscribeButton.disabled = false;
  }
}

if (onIos && !standalone) {
  // Not "your browser cannot": on an iPhone the way there is the Home Screen.
  iosNote.hidden = false;
  unavailableNote.hidden = true;
}
if (supported) {
  unavailableNote.hidden = true;
  box.hidden = false;
  show("Checking this phone…");
  subscribeButton.addEventListener("click", subscribe);
  unsubscribeButton.addEventListener("click", unsubscribe);
  describe().catch(() => show("This phone is not set up for reminders.", { subscribe: true }));
}
