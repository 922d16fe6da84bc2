// "Copy" buttons for prepared messages (coordinator/messages.html): a button names the
// element whose text it copies (data-copy). Without JavaScript the buttons stay hidden and
// the text is selectable as it is. The text is also selected, so it shows what was copied.
(function () {
  "use strict";

  function select(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function legacyCopy() {
    try {
      return document.execCommand("copy");
    } catch (e) {
      return false;
    }
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector(".copy-status");
    if (!target) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = target.textContent;
      select(target);
      var say = function (ok) {
        if (status) {
          status.textContent = button.getAttribute(ok ? "data-done" : "data-failed");
        }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say(true); },
          function () { say(legacyCopy()); }
        );
      } else {
        say(legacyCopy());
      }
    });
  });
})();
