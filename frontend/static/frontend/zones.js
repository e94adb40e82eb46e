// Time zones in the browser: the phone's own zone under the name the diary stores, the zone
// in words, and clock times in the diary's zone, which need not be the phone's.

// "Asia/Calcutta=Asia/Kolkata US/Central=America/Chicago …" (a data-zone-aliases attribute) as a Map.
export function readAliases(text) {
  return new Map((text || "").split(" ").filter(Boolean).map((pair) => pair.split("=")));
}

// The zone the phone is set to, under its canonical name (diary/zones.py): Chromium still
// reports some old names, such as Asia/Calcutta. Null where the browser cannot say.
export function deviceZone(aliases) {
  let name = null;
  try {
    name = Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch (error) {
    return null;
  }
  return name && (aliases.get(name) || name);
}

// "America/Argentina/Buenos_Aires" → "Buenos Aires", as zone_city in diary/zones.py.
export function zoneCity(name) {
  return name.split("/").pop().replaceAll("_", " ");
}

// "America/Chicago" → "Chicago time (America/Chicago)"; UTC stays "UTC". As zone_words in diary/zones.py.
export function zoneWords(name) {
  return name.includes("/") ? `${zoneCity(name)} time (${name})` : name;
}

// --- clock times in a given zone ---------------------------------------------

const DAY_MS = 24 * 60 * 60 * 1000;
const clocks = new Map();

// The date and time a clock in `zone` shows at the instant `ms`, as numbers.
function clockAt(zone, ms) {
  if (!clocks.has(zone)) {
    clocks.set(zone, new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }));
  }
  const shown = {};
  for (const part of clocks.get(zone).formatToParts(ms)) shown[part.type] = Number(part.value);
  return shown;
}

// How far ahead of UTC the clocks of `zone` are at the instant `ms`, in milliseconds.
function offsetAt(zone, ms) {
  const shown = clockAt(zone, ms);
  const asIfUtc = Date.UTC(shown.year, shown.month - 1, shown.day, shown.hour, shown.minute, shown.second);
  return asIfUtc - Math.floor(ms / 1000) * 1000;
}

// A datetime-local value ("2026-03-08T21:00") read on the clocks of `zone`, as an instant.
// Around a change of the clocks it reads as Python's zoneinfo does by default (fold=0):
// a time that happens twice is the first one, a time that is skipped has the offset before.
export function instantFromClock(value, zone) {
  const [day, clock] = value.split("T");
  const [year, month, date] = day.split("-").map(Number);
  const [hour, minute, second = 0] = clock.split(":").map(Number);
  const asIfUtc = Date.UTC(year, month - 1, date, hour, minute, second);
  const before = offsetAt(zone, asIfUtc - DAY_MS);
  const after = offsetAt(zone, asIfUtc + DAY_MS);
  for (const offset of [before, after]) {
    if (offsetAt(zone, asIfUtc - offset) === offset) return new Date(asIfUtc - offset);
  }
  return new Date(asIfUtc - before);
}

// An instant as a datetime-local value on the clocks of `zone`: "2026-03-08T21:00".
export function clockValue(date, zone) {
  const shown = clockAt(zone, date.getTime());
  const pad = (n, size = 2) => String(n).padStart(size, "0");
  return `${pad(shown.year, 4)}-${pad(shown.month)}-${pad(shown.day)}T${pad(shown.hour)}:${pad(shown.minute)}`;
}
