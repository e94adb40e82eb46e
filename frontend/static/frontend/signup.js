// The sign-up page: choose the phone's own time zone and say it in words. The list stays in
// view to choose another. Without this script the list asks for a choice.
import { deviceZone, readAliases, zoneWords } from "./zones.js";

const choice = document.querySelector("[data-zone-choice]");
const sentence = document.querySelector("[data-zone-device]");
const select = choice.querySelector("select");
const device = deviceZone(readAliases(choice.dataset.zoneAliases));
const offered = Boolean(device) && [...select.options].some((option) => option.value === device);

function describe() {
  const chosen = select.value;
  const use = chosen === device ? " Your diary will use it." : chosen ? ` Your diary will use ${zoneWords(chosen)}.` : "";
  sentence.textContent = `Your phone is on ${zoneWords(device)}.${use}`;
}

if (offered) {
  // A choice already made (the form came back with another error) is the person's, not the phone's.
  if (!select.value) select.value = device;
  describe();
  sentence.hidden = false;
  // Read out with the list too, for whoever reaches it by tabbing past the sentence.
  select.setAttribute("aria-describedby", `${select.getAttribute("aria-describedby") || ""} ${sentence.id}`.trim());
  select.addEventListener("change", describe);
}
