// Live progress of a matching run on its page: asks the server every 1.5 s how far the
// run is, moves the bar and says the step; when the run has ended, shows the whole page
// again (its result, or why it failed). Without this script the "Update now" link does
// the same by hand.
(function () {
  "use strict";
  var box = document.getElementById("run-progress");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("run-bar");
  var step = document.getElementById("run-step");
  var every = 1500;

  function show(state) {
    if (!state.active) {
      window.location.reload();
      return;
    }
    bar.max = state.max;
    bar.value = state.value;
    bar.textContent = state.value + " / " + state.max;
    if (step.textContent !== state.text) { step.textContent = state.text; }
    window.setTimeout(poll, every);
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(show)
      .catch(function () {
        // The server is busy or restarting: ask again a little later.
        window.setTimeout(poll, every * 4);
      });
  }

  window.setTimeout(poll, every);
})();
