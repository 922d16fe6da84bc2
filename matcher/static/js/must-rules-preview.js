// Live preview of the matching rules on the agency page: every rule changes the figures.
// Without this script the page shows the figures of the saved rules.
(function () {
  "use strict";
  var form = document.getElementById("must-rules");
  var preview = document.getElementById("must-rules-preview");
  if (!form || !preview || !window.fetch || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-preview-url");
  var language = document.documentElement.lang || "de";
  var timer = null;
  var latest = 0;

  function put(key, value) {
    preview.querySelectorAll("[data-rule='" + key + "']").forEach(function (el) {
      el.textContent = Number(value).toLocaleString(language);
    });
  }

  function show(counts) {
    ["feasible", "newcomers_with_options", "all_pairs"].forEach(function (key) {
      put(key, counts[key]);
    });
    Object.keys(counts.steps).forEach(function (stage) {
      var step = counts.steps[stage];
      put(stage + ".pairs", step.pairs);
      put(stage + ".pairs_removed", step.pairs_removed);
      put(stage + ".newcomers_removed", step.newcomers_removed);
    });
    preview.classList.remove("stale");
    preview.removeAttribute("data-error");
  }

  function refresh() {
    var ticket = ++latest;
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token" && key !== "submit") { params.append(key, value); }
    });
    preview.classList.add("stale");
    fetch(url + "?" + params.toString(), {
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (answer) {
      if (ticket !== latest) { return; }
      if (answer.ok) { show(answer.body); } else { preview.setAttribute("data-error", answer.body.message || ""); }
    }).catch(function () { /* keep the last figures; saving still works */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 300);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
})();
