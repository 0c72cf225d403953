/* Adds a "Copy link" button beside a read-only link field marked data-copy.
   Without this script the field is still there to select and copy by hand.
   The words come from the page (data-*), so they are translated with it. */
(function () {
  "use strict";
  var rows = document.querySelectorAll("[data-copy]");
  Array.prototype.forEach.call(rows, function (row) {
    var field = document.getElementById(row.getAttribute("data-copy"));
    var status = document.getElementById(row.getAttribute("data-copy-status"));
    if (!field || !status) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = row.getAttribute("data-copy-label");
    function say(text) {
      // Emptied first, so the live region announces a second "Copied" too.
      status.textContent = "";
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
    function byHand() {
      field.focus();
      field.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      say(row.getAttribute(copied ? "data-copied" : "data-copy-by-hand"));
    }
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () {
          say(row.getAttribute("data-copied"));
        }, byHand);
      } else {
        byHand();
      }
    });
    row.appendChild(button);
  });
})();
