// "I took a pain reliever" on the check-in page: the dose goes to the outbox on this phone first
// (tagged with the user, like a check-in), then once to POST doses when it can. Without this
// script the form posts to the server, which takes each rendered form once.
import { currentUser, onSummary, outbox, requestFlush, say, syncLater } from "./app.js";
import { instantFromClock } from "./zones.js";

const form = document.querySelector("form[data-dose-form]");
const panel = form.closest("details");
const saveButton = form.querySelector("button[type=submit]");
const errorLine = document.querySelector("[data-device-error]");
// As the check-in page and the server: a phone's clock a little ahead is no reason to refuse.
const CLOCK_GRACE_MS = 5 * 60 * 1000;
// Sent doses already spoken of, so that a summary heard twice (tab and worker) says it once.
const spoken = new Set();

function showProblem(message) {
  errorLine.hidden = false;
  errorLine.querySelector("[data-device-error-text]").textContent = message;
  errorLine.scrollIntoView({ block: "center" });
}

function chosenLabel(medicineId) {
  const input = form.querySelector(`input[name="medicine_id"][value="${medicineId}"]`);
  return input ? input.closest("label").textContent.trim() : "your pain reliever";
}

function takenAt() {
  const earlier = form.elements.taken_at.value;
  return earlier ? instantFromClock(earlier, form.dataset.profileZone) : new Date();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = await currentUser();
  if (!user || !outbox) {
    form.submit();
    return;
  }
  const medicineId = Number(form.elements.medicine_id.value);
  if (!medicineId) {
    showProblem("Choose the medicine you took.");
    return;
  }
  const when = takenAt();
  if (Number.isNaN(when.getTime()) || when.getTime() > Date.now() + CLOCK_GRACE_MS) {
    showProblem("The time you took it cannot be later than now.");
    return;
  }
  saveButton.disabled = true;
  // The form's own key: pressing Save twice keeps one dose, and the diary takes a key only once.
  const clientUuid = form.elements.client_uuid.value || crypto.randomUUID();
  try {
    await outbox.save({
      client_uuid: clientUuid,
      user_id: user.id,
      kind: "dose",
      // Its name, for the check-in page to show should the diary refuse it (checkin.js).
      medicine_label: chosenLabel(medicineId),
      body: { client_uuid: clientUuid, medicine_id: medicineId, taken_at: when.toISOString() },
      saved_at: Date.now(),
      state: "waiting",
    });
  } catch (error) {
    saveButton.disabled = false;
    form.submit();
    return;
  }
  errorLine.hidden = true;
  // Online, the line comes when the diary has it (below); offline, the phone says it kept it.
  if (!navigator.onLine) say(`${chosenLabel(medicineId)}: saved on this phone, will send when online.`);
  // A fresh key for the next dose, and the panel folded again.
  form.elements.client_uuid.value = crypto.randomUUID();
  form.elements.taken_at.value = "";
  panel.open = false;
  saveButton.disabled = false;
  syncLater();
  requestFlush();
});

onSummary(async (summary) => {
  const user = await currentUser();
  if (!user || !summary.sent || summary.userId !== user.id) return;
  for (const sent of summary.sent) {
    if (sent.kind !== "dose" || spoken.has(sent.client_uuid)) continue;
    spoken.add(sent.client_uuid);
    say("Your pain reliever dose is in your diary. Later we will ask if it helped.");
  }
});
