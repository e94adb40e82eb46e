// The check-in page, and its offline shell: a save goes to the outbox on this phone first,
// then to the diary when it can. Without this script the form posts to the server as usual.
import { apiUrls, count, currentUser, onSummary, outbox, requestFlush, say, syncLater } from "./app.js";
import { clockValue, deviceZone, instantFromClock, readAliases, zoneCity, zoneWords } from "./zones.js";

const form = document.querySelector("form.checkin-form");
const region = document.querySelector(".messages");
const signInAgain = document.querySelector("[data-outbox-sign-in]");
const attention = document.querySelector("[data-attention]");
const doseAttention = document.querySelector("[data-dose-attention]");
const deviceError = document.querySelector("[data-device-error]");
const deviceAlert = document.querySelector("[data-device-alert]");
const more = form.querySelector("[data-checkin-more]");
const recent = document.querySelector("[data-recent]");
const notes = form.elements.notes;
const notesCounter = form.querySelector("[data-notes-counter]");
const shell = document.body.dataset.appShell === "checkin";
const emergencyCodes = new Set(form.dataset.emergencySymptoms.split(" ").filter(Boolean));

// The diary's own words for an empty check-in (diary/models.py NOTHING_REPORTED) and for a time
// later than now (diary/limits.py), from the page: the phone says what the server would.
const EMPTY = form.dataset.nothingReported;
const LATER_THAN_NOW = form.dataset.laterThanNow;
// As the server (diary/services.py MAX_FUTURE): a phone's clock a little ahead is no reason to refuse.
const CLOCK_GRACE_MS = 5 * 60 * 1000;
// The counter appears this close to the limit (diary/limits.py NOTES_MAX_LENGTH, from the page).
const NOTES_COUNT_FROM = 200;
// Weight is typed in the patient's unit (settings) and sent in kg, as the API takes it (diary/units.py).
// The offline shell names nobody, so it asks in kg.
const KG_PER_LB = 0.45359237;
const inPounds = form.dataset.weightUnit === "lb";
const LABELS = {
  pain: "Pain", fatigue: "Tiredness", pain_locations: "Where is the pain", movement_effect: "Moving",
  rest_helped: "Rest", sleep_hours: "Hours of sleep", woke_from_pain: "Woken by pain", weight_kg: "Weight",
  exercise_minutes: "Exercise", symptoms: "Symptoms", notes: "Notes", recorded_at: "Time", client_uuid: "Reference",
};

const sentHere = [];
let last = {};
let sending = false;
let changing = null;
let diaryZoneFound = null;
// One key for the check-in on the form until the phone has kept it: a second press of Save
// (a double click) saves the same check-in again, which the outbox and the diary take once.
let pendingUuid = null;
let keeping = false;

// --- the diary's time zone, which may not be the phone's ------------------------

function knownToBrowser(zone) {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: zone });
    return true;
  } catch (error) {
    return false;
  }
}

// Times typed and shown here are on the diary's clock, as on the plain form. The page says
// which zone that is; the shell names nobody, so it asks what the check-in page last said.
function diaryZone() {
  diaryZoneFound ||= (async () => {
    const user = form.dataset.profileZone ? null : await currentUser();
    const zone = form.dataset.profileZone || (user && user.timezone);
    // A browser too old to know the name (Europe/Kyiv is from 2022) keeps to the phone's clock.
    return zone && knownToBrowser(zone) ? zone : undefined;
  })();
  return diaryZoneFound;
}

function format(instant, zone, options) {
  return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: zone }).format(instant);
}

// As the plain form's message (frontend/views.py _saved_message): a day other than today is named.
function savedText(recordedAt, zone) {
  const when = new Date(recordedAt);
  const at = format(when, zone, { hour: "2-digit", minute: "2-digit" });
  if (clockValue(when, zone).slice(0, 10) === clockValue(new Date(), zone).slice(0, 10)) return `Check-in saved at ${at}.`;
  return `Check-in saved for ${format(when, zone, { weekday: "long", day: "numeric", month: "long" })} at ${at}.`;
}

// --- reading the form as the API's JSON (API.md) -----------------------------

function checkinBody(zone) {
  const fields = new FormData(form);
  const chosen = (name) => fields.get(name) || null;
  const number = (name) => (chosen(name) === null ? null : Number(chosen(name)));
  const earlier = form.elements.recorded_at.value;
  return {
    client_uuid: (pendingUuid ||= crypto.randomUUID()),
    // The browser's ISO form is UTC with a Z, which API.md accepts.
    recorded_at: (earlier ? instantFromClock(earlier, zone) : new Date()).toISOString(),
    pain: number("pain"),
    pain_locations: fields.getAll("pain_locations"),
    movement_effect: chosen("movement_effect"),
    fatigue: number("fatigue"),
    rest_helped: chosen("rest_helped"),
    sleep_hours: number("sleep_hours"),
    woke_from_pain: { yes: true, no: false }[fields.get("woke_from_pain")] ?? null,
    weight_kg: number("weight_kg") === null || !inPounds ? number("weight_kg")
      : Math.round(number("weight_kg") * KG_PER_LB * 100) / 100,
    exercise_minutes: number("exercise_minutes"),
    symptoms: fields.getAll("symptoms"),
    notes: fields.get("notes") || "",
  };
}

// What the phone can tell before the diary does: an empty check-in, or a number it cannot read.
function problemBeforeSaving(body) {
  for (const input of form.querySelectorAll("input[type=number], input[type=datetime-local]")) {
    if (input.validity.badInput) {
      const label = form.querySelector(`label[for="${input.id}"]`).textContent;
      return `${label}: this is not a number or time the phone can read.`;
    }
  }
  if (Date.parse(body.recorded_at) > Date.now() + CLOCK_GRACE_MS) return LATER_THAN_NOW;
  const answered = body.pain !== null || body.fatigue !== null || body.symptoms.length
    || body.weight_kg !== null || body.sleep_hours !== null;
  return answered ? null : EMPTY;
}

function clearForm() {
  for (const input of form.elements) {
    if (input.type === "radio" || input.type === "checkbox") input.checked = false;
    else if (input.type !== "hidden" && input.type !== "submit") input.value = "";
  }
  countNotes();
}

function fillForm(body, zone) {
  clearForm();
  const values = { ...body, woke_from_pain: { true: "yes", false: "no" }[body.woke_from_pain] };
  if (inPounds && body.weight_kg != null) values.weight_kg = Math.round((body.weight_kg / KG_PER_LB) * 10) / 10;
  for (const input of form.elements) {
    const value = values[input.name];
    if (value === null || value === undefined || input.type === "hidden") continue;
    if (input.type === "radio" || input.type === "checkbox") {
      input.checked = [].concat(value).map(String).includes(input.value);
    } else if (input.name === "recorded_at") {
      input.value = clockValue(new Date(value), zone);
    } else {
      input.value = value;
    }
  }
  countNotes();
}

// --- saving ------------------------------------------------------------------

async function save(event) {
  event.preventDefault();
  // A second press while the first is still being kept (a double click) is the same check-in.
  if (keeping) return;
  keeping = true;
  let kept;
  try {
    kept = await keep();
  } finally {
    keeping = false;
  }
  if (!kept) return;
  region.querySelectorAll(".message").forEach((message) => message.remove());
  if (!kept.emergency) window.scrollTo({ top: 0, behavior: "instant" });
  sending = navigator.onLine;
  await render();
  const summary = await requestFlush();
  sending = false;
  await render();
  if (!summary || summary.offline || summary.serverError) syncLater();
}

// Checks the form and keeps the check-in in the outbox, then empties the form: {emergency}, or null if not kept.
async function keep() {
  const body = checkinBody(await diaryZone());
  const problem = problemBeforeSaving(body);
  showDeviceError(problem);
  if (problem) return null;
  // The safety net: this guidance comes from the phone at once, online or not.
  const emergency = body.symptoms.filter((code) => emergencyCodes.has(code));
  if (emergency.length) showEmergency(emergency);
  const user = await currentUser();
  try {
    if (!user) throw new Error("Nobody is signed in on this phone");
    await outbox.save({ client_uuid: body.client_uuid, user_id: user.id, body, saved_at: Date.now(), state: "waiting" });
    if (changing) await outbox.remove(changing);
    changing = null;
    pendingUuid = null;
  } catch (error) {
    // The plain form still works where the phone cannot keep the check-in.
    if (!shell) form.submit();
    else showDeviceError("This phone could not keep your check-in. Sign in again, then save it.");
    return null;
  }
  clearForm();
  more.open = false;
  return { emergency: emergency.length > 0 };
}

function showDeviceError(message) {
  deviceError.hidden = !message;
  deviceError.querySelector("[data-device-error-text]").textContent = message || "";
  if (message) deviceError.scrollIntoView({ block: "center" });
}

// --- what the phone holds, and what it sent -----------------------------------

function line(name, text) {
  let element = region.querySelector(`[data-outbox-line="${name}"]`);
  if (!text) {
    if (element) element.remove();
    return;
  }
  if (!element) {
    element = document.createElement("p");
    element.className = "message outbox-line";
    element.dataset.outboxLine = name;
    region.append(element);
  }
  if (element.textContent !== text) element.textContent = text;
}

function sentText(zone) {
  if (!sentHere.length) return "";
  if (sentHere.length === 1) return `${savedText(sentHere[0], zone)} It is in your diary.`;
  return `${count(sentHere.length)} sent to your diary.`;
}

function waitingText(n) {
  const them = n === 1 ? "it" : "them";
  if (!n) return "";
  if (sending) return `Sending ${count(n)}…`;
  if (last.signedOut) return `${count(n)} saved on this phone. Sign in again to send ${them}.`;
  if (last.serverError && navigator.onLine) {
    return `${count(n)} saved on this phone. The diary could not take ${them} just now; the phone will try again.`;
  }
  return `${count(n)} saved on this phone, will send when online.`;
}

async function render() {
  const user = await currentUser();
  if (!user) return;
  let all;
  try {
    all = await outbox.items(user.id);
  } catch (error) {
    return;
  }
  // Doses waiting on the phone are doses.js's to speak of; these lines count check-ins. Refused
  // doses are shown here, not by doses.js: the page has no dose form once the medicine is stopped.
  const items = all.filter((item) => item.kind !== "dose");
  const waiting = items.filter((item) => item.state === "waiting");
  const zone = await diaryZone();
  line("sent", sentText(zone));
  line("waiting", waitingText(waiting.length));
  line("offline", !navigator.onLine && !waiting.length && shell ? "You are offline. Check-ins you save now are kept on this phone." : "");
  signInAgain.hidden = !(waiting.length && last.signedOut);
  renderAttention(items.filter((item) => item.state === "attention"), zone);
  renderDoseAttention(all.filter((item) => item.kind === "dose" && item.state === "attention"), zone);
}

async function heard(summary) {
  const user = await currentUser();
  if (!user || ("userId" in summary && summary.userId !== null && summary.userId !== user.id)) return;
  if ("sent" in summary) {
    last = summary;
    const checkins = summary.sent.filter((sent) => sent.kind !== "dose");
    sentHere.push(...checkins.map((sent) => sent.recorded_at));
    if (checkins.length) showRecent();
  }
  render();
}

// --- "Your last check-ins", kept current after a save without reloading ----------

// The same words as the page (checkin.html): "Tue 1 Dec, 14:02  pain 6/10, tiredness 3/10".
function recentWords(checkin) {
  const scores = [];
  if (checkin.pain !== null) scores.push(`pain ${checkin.pain}/10`);
  if (checkin.fatigue !== null) scores.push(`tiredness ${checkin.fatigue}/10`);
  return scores.join(", ") || "other answers";
}

async function showRecent() {
  if (!recent) return;
  let checkins;
  try {
    const response = await fetch(apiUrls.checkins, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    checkins = (await response.json()).results.slice(0, Number(recent.dataset.recentCount));
  } catch (error) {
    return;
  }
  if (!checkins.length) return;
  const zone = await diaryZone();
  const list = element("ul", "plain-list recent-list");
  list.append(...checkins.map((checkin) => {
    const when = new Date(checkin.recorded_at);
    const day = format(when, zone, { weekday: "short", day: "numeric", month: "short" }).replace(",", "");
    const item = element("li");
    item.append(
      element("span", "recent-when", `${day}, ${format(when, zone, { hour: "2-digit", minute: "2-digit" })}`),
      element("span", null, recentWords(checkin)),
    );
    return item;
  }));
  const all = element("p");
  const link = element("a", null, "See all your check-ins");
  link.href = recent.dataset.historyUrl;
  all.append(link);
  recent.replaceChildren(recent.querySelector("h2"), list, all);
}

// --- notes: counted near the limit, never cut ------------------------------------

function countNotes() {
  if (!notes || !notesCounter) return;
  const limit = Number(notes.dataset.maxLength);
  const length = notes.value.length;
  const over = length - limit;
  let text = "";
  if (over > 0) text = `${over} ${over === 1 ? "character" : "characters"} too many: notes can be at most ${limit}`;
  else if (length >= limit - NOTES_COUNT_FROM) text = `${-over} ${over === -1 ? "character" : "characters"} left`;
  if (notesCounter.textContent !== text) notesCounter.textContent = text;
  notesCounter.classList.toggle("notes-counter-over", over > 0);
}

// --- the earlier time: nothing later than now on the diary's clock ---------------

async function capEarlierTime() {
  const earlier = form.elements.recorded_at;
  if (earlier) earlier.max = clockValue(new Date(), await diaryZone()).slice(0, 16);
}

// --- check-ins the diary refused: change and save again, or delete ----------------

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text) made.textContent = text;
  return made;
}

function button(text, which, onClick, what = "check-in") {
  const made = element("button", "button", text);
  made.type = "button";
  made.append(element("span", "visually-hidden", ` ${what} of ${which}`));
  made.addEventListener("click", onClick);
  return made;
}

// A short description of a check-in (fields the API leaves out count as not answered).
function described(body) {
  const parts = [];
  const symptoms = body.symptoms || [];
  if (body.pain != null) parts.push(`pain ${body.pain}/10`);
  if (body.fatigue != null) parts.push(`tiredness ${body.fatigue}/10`);
  if (symptoms.length) parts.push(symptoms.length === 1 ? "1 symptom" : `${symptoms.length} symptoms`);
  if (body.sleep_hours != null) parts.push(`${body.sleep_hours} hours of sleep`);
  if (body.weight_kg != null) parts.push(`${body.weight_kg} kg`);
  return parts.join(", ") || "other answers";
}

function problems({ status, answer }) {
  if (status === 409) return ["The diary could not accept this check-in's reference. Save it again to give it a new one."];
  if (status === 413) return ["This check-in is too long to send. Shorten the notes, then save it again."];
  const messages = [];
  for (const [field, said] of Object.entries(answer || {})) {
    for (const message of [].concat(said)) messages.push(field in LABELS ? `${LABELS[field]}: ${message}` : String(message));
  }
  return messages.length ? messages : [`The diary refused this check-in (error ${status}).`];
}

function renderAttention(items, zone) {
  attention.hidden = !items.length;
  attention.querySelector("[data-attention-list]").replaceChildren(...items.map((item) => {
    const which = format(new Date(item.body.recorded_at), zone, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
    const entry = element("li", "card");
    entry.append(element("h3", null, `Check-in of ${which}`), element("p", null, described(item.body)));
    const list = element("ul", "field-error");
    list.append(...problems(item.problem).map((message) => element("li", null, message)));
    const actions = element("div", "card-actions");
    actions.append(
      button("Change and save again", which, () => change(item)),
      button("Delete", which, () => discard(item)),
    );
    entry.append(list, actions);
    return entry;
  }));
}

// --- doses the diary refused: why, and delete ------------------------------------

// The fields of POST doses (API.md 1.1), in the words of the dose form.
const DOSE_LABELS = {
  medicine_id: "Medicine", taken_at: "Time taken", amount: "Amount", reason: "Reason", client_uuid: "Reference",
};

function doseProblems({ status, answer }) {
  if (status === 409) {
    return ["Your diary could not accept this dose's reference. Delete it here, then log the dose again."];
  }
  const messages = [];
  for (const [field, said] of Object.entries(answer || {})) {
    for (const message of [].concat(said)) {
      messages.push(field in DOSE_LABELS ? `${DOSE_LABELS[field]}: ${message}` : String(message));
    }
  }
  return messages.length ? messages : [`Your diary did not accept this dose (error ${status}).`];
}

function renderDoseAttention(items, zone) {
  doseAttention.hidden = !items.length;
  doseAttention.querySelector("[data-dose-attention-list]").replaceChildren(...items.map((item) => {
    const which = format(new Date(item.body.taken_at), zone, {
      weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
    const entry = element("li", "card");
    // The name doses.js kept with it: the medicine may be gone from the list by now.
    entry.append(element("h3", null, `${item.medicine_label || "Pain reliever"}, taken ${which}`));
    const list = element("ul", "field-error");
    list.append(...doseProblems(item.problem).map((message) => element("li", null, message)));
    const actions = element("div", "card-actions");
    actions.append(button("Delete", which, () => discardDose(item), "dose"));
    entry.append(list, actions);
    return entry;
  }));
}

async function discardDose(item) {
  await outbox.remove(item.client_uuid);
  line("deleted", "Dose deleted from this phone.");
  render();
}

// The refused check-in stays in the outbox until its changed copy is saved: nothing is dropped unseen.
async function change(item) {
  fillForm(item.body, await diaryZone());
  more.open = true;
  pendingUuid = null;
  changing = item.client_uuid;
  form.querySelector("input:not([type=hidden])").focus();
}

async function discard(item) {
  await outbox.remove(item.client_uuid);
  if (changing === item.client_uuid) changing = null;
  line("sent", "");
  line("deleted", "Check-in deleted from this phone.");
  render();
}

// --- the emergency guidance from the device itself --------------------------------

function showEmergency(codes) {
  const labels = codes.map((code) => form.querySelector(`input[name=symptoms][value="${code}"]`).closest("label").textContent.trim());
  deviceAlert.querySelector("[data-device-alert-reasons]").replaceChildren(...labels.map((label) => element("li", null, label)));
  deviceAlert.querySelector("[data-device-alert-saved]").textContent = navigator.onLine
    ? "Your check-in is being sent to your diary. Do not wait for an answer: call now."
    : "You are offline. Your check-in is saved on this phone and will be sent when you are back online. Do not wait for that: call now.";
  // Everything behind it is inert, so no stray tap or swipe reaches the page underneath.
  for (const child of document.body.children) if (child !== deviceAlert) child.inert = true;
  document.documentElement.classList.add("has-device-alert");
  deviceAlert.hidden = false;
  deviceAlert.scrollTop = 0;
  deviceAlert.querySelector("h2").focus();
}

function closeEmergency() {
  deviceAlert.hidden = true;
  document.documentElement.classList.remove("has-device-alert");
  for (const child of document.body.children) child.inert = false;
  window.scrollTo({ top: 0, behavior: "instant" });
  document.getElementById("main").focus();
}

// --- a phone on another time zone than the diary (a patient abroad) --------------

function offerTravel() {
  const travel = document.querySelector("[data-travel]");
  if (!travel || !form.dataset.profileZone) return;
  const aliases = readAliases(travel.dataset.zoneAliases);
  // Both by their canonical names, so that an old name on either side is no reason to ask.
  const diary = aliases.get(form.dataset.profileZone) || form.dataset.profileZone;
  const phone = deviceZone(aliases);
  if (!phone || phone === diary) return;
  // Offered once for each pair of zones: "Keep" is remembered on this phone.
  const kept = `diary-zone-kept ${diary} ${phone}`;
  try {
    if (localStorage.getItem(kept)) return;
  } catch (error) {
    // No storage here: the offer comes back with each visit, which is better than never.
  }
  travel.querySelector("[data-travel-question]").textContent = `Your phone is now on ${zoneCity(phone)} time. Use it for your diary?`;
  travel.querySelector("[data-travel-hint]").textContent =
    `Your diary is on ${zoneWords(diary)}. Switching moves its days and times of day, past check-ins too, to ${zoneWords(phone)}.`;
  const use = travel.querySelector("[data-travel-use]");
  use.value = phone;
  use.textContent = `Use ${zoneCity(phone)} time`;
  const keep = travel.querySelector("[data-travel-keep]");
  keep.textContent = `Keep ${zoneCity(diary)} time`;
  keep.addEventListener("click", () => {
    try {
      localStorage.setItem(kept, "yes");
    } catch (error) {
      // Not remembered: it is offered again next time.
    }
    travel.hidden = true;
    say(`Your diary stays on ${zoneWords(diary)}.`);
    document.getElementById("main").focus();
  });
  travel.hidden = false;
}

// --- start ----------------------------------------------------------------------

offerTravel();

// The warning-signs line opens the folded questions at the urgent group (a fragment link does so without this script in most browsers).
form.querySelector("[data-open-more]").addEventListener("click", () => {
  more.open = true;
});
if (notes) {
  notes.addEventListener("input", countNotes);
  countNotes();
}
capEarlierTime();
// Kept current while the page stays open, and checked again just before it is used.
form.elements.recorded_at.addEventListener("focus", capEarlierTime);
setInterval(capEarlierTime, 60 * 1000);

// A tapped reminder focuses this page when it is open already (sw.js). Loaded afresh, it shows what
// came due since, such as "Did the <medicine> help?"; never when that would lose answers typed here.
let typed = false;
document.addEventListener("input", () => { typed = true; });
if ("serviceWorker" in navigator && !shell) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "notification-opened" && !typed && navigator.onLine) location.reload();
  });
}

if ("indexedDB" in self && self.crypto && crypto.randomUUID) {
  form.addEventListener("submit", save);
  deviceAlert.querySelector("[data-device-alert-close]").addEventListener("click", closeEmergency);
  onSummary(heard);
  addEventListener("online", render);
  addEventListener("offline", render);
  render();
  if (!shell && form.dataset.profileZone) {
    // For the shell, which cannot be told: the zone in which to read a time typed offline.
    currentUser().then((user) => user && outbox.rememberZone(user.id, form.dataset.profileZone)).catch(() => {});
  }
  if (shell) {
    // The shell is for a patient signed in on this phone; anyone else gets the offline page.
    currentUser().then((user) => {
      if (!user || user.role !== "patient") location.replace(document.body.dataset.offlineUrl);
    });
  }
}
