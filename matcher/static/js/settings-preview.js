// Live preview of candidate pairs on an agency's settings page.
// Without this script the "Preview" button does the same with a full page load.
(function () {
  "use strict";
  var form = document.getElementById("agency-settings");
  var preview = document.getElementById("preview");
  if (!form || !preview || !window.fetch) { return; }
  var input = form.querySelector("[name=max_distance_km]");
  if (!input) { return; }
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var latest = 0;

  // Numbers as the page's language writes them ("15.648" in German).
  var language = document.documentElement.lang || "de";

  function show(counts) {
    Object.keys(counts).forEach(function (key) {
      preview.querySelectorAll("[data-count=" + key + "]").forEach(function (el) {
        el.textContent = Number(counts[key]).toLocaleString(language);
      });
    });
    preview.classList.remove("stale");
  }

  function refresh() {
    var ticket = ++latest;
    var value = input.value.trim().replace(",", ".");
    preview.classList.add("stale");
    fetch(url + "?max_distance_km=" + encodeURIComponent(value), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (counts) {
      if (ticket === latest) { show(counts); }
    }).catch(function () { /* keep the last figures; the button still works */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  });
})();
