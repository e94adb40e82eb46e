// The visit summary: a Print button (the browser's own Print menu does the same without JavaScript).
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
