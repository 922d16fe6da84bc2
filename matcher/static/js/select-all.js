// "Select all on this page" on the proposals table (coordinator/matching/proposals.html).
// The header checkbox (data-select-all = the id of the bulk form) ticks every row checkbox
// that belongs to that form, and shows "some" (indeterminate) when only some are ticked.
// Without JavaScript it stays hidden; the button "Alle auf dieser Seite annehmen" does the
// same without ticking.
(function () {
  "use strict";

  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var formId = all.getAttribute("data-select-all");
    var boxes = Array.prototype.slice.call(
      document.querySelectorAll('input[type=checkbox][name=selected][form="' + formId + '"]')
    );
    if (!boxes.length) {
      return;
    }

    function refresh() {
      var ticked = boxes.filter(function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }

    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
    boxes.forEach(function (box) { box.addEventListener("change", refresh); });
    refresh();
  });
})();
