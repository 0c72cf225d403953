// Copy buttons for read-only fields (progressive enhancement: without this
// script the button stays hidden and the field can still be selected).
// <button data-copy="FIELD-ID" data-copied="..." data-failed="..." hidden>
// beside a role="status" element of class copy-status that announces the
// result (or the element named by the button's data-status). The words come
// from the page, so they are translated with it.
(function () {
  "use strict";
  function announce(button, text) {
    var named = button.getAttribute("data-status");
    var status = named ? document.getElementById(named) : button.parentNode.querySelector(".copy-status");
    if (status) {
      status.textContent = "";
      // A fresh text node after clearing, so a second copy is announced again.
      window.setTimeout(function () { status.textContent = text; }, 50);
    }
  }
  function copy(button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    var done = function () { announce(button, button.getAttribute("data-copied")); };
    var fallback = function () {
      field.focus();
      field.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok) { done(); } else { announce(button, button.getAttribute("data-failed")); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, fallback);
    } else {
      fallback();
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("button[data-copy]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
}());
