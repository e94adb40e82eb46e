// The therapist's list: narrow it by name or by level, in the page (nothing typed is sent anywhere).
const filter = document.querySelector("[data-triage-filter]");

if (filter) {
  const nameInput = filter.querySelector("[data-triage-name]");
  const levelSelect = filter.querySelector("[data-triage-level]");
  const count = filter.querySelector("[data-triage-count]");
  const empty = document.querySelector("[data-triage-empty]");
  const rows = [...document.querySelectorAll(".triage-card")];

  const apply = () => {
    const name = nameInput.value.trim().toLowerCase();
    const level = levelSelect.value;
    let shown = 0;
    for (const row of rows) {
      // Any of the patient's flags counts, not only the top one: "Review only" also finds a patient
      // whose review flag sits under an urgent one.
      const levels = row.dataset.levels.trim().split(/\s+/);
      const match = (!name || row.dataset.name.includes(name)) && (!level || levels.includes(level));
      row.hidden = !match;
      if (match) shown += 1;
    }
    const filtered = name || level;
    count.textContent = filtered ? `Showing ${shown} of ${rows.length} patients.` : "";
    empty.hidden = shown > 0;
  };

  filter.hidden = false;
  filter.addEventListener("submit", (event) => event.preventDefault());
  nameInput.addEventListener("input", apply);
  levelSelect.addEventListener("change", apply);
  apply();
}
