// The "Drucken" button of a document: shown only where this script runs (no inline script,
// CSP script-src 'self'), it opens the browser's print dialog for the A4 print view.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
