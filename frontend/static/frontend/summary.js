// The visit summary: a Print button (the browser's own Print menu does the same without JavaScript).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}

// Whose summary and which days, at the top of every printed page: app.css's @page reads it from
// --running-head (set through the CSSOM, which the Content-Security-Policy allows; a <style> it would not).
const head = document.querySelector("[data-running-head]");
if (head) {
  document.documentElement.style.setProperty("--running-head", JSON.stringify(head.dataset.runningHead));
}
