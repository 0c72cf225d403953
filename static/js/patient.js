/* Patient pages: two small enhancements. Every page works without them.

   1. A question step (and the aftercare page) keeps the choices not yet
      sent (Continue not pressed) over a reload, back/forward or a switch of
      language (the switch is a plain form: the page loads again). Chromium
      restores form controls on back/forward but never on a reload, so the
      draft is kept in sessionStorage: this tab only, gone when the tab
      closes. A draft is keyed by the patient's session scope (an opaque
      value from the server, so a draft never reaches the next patient on a
      shared tablet) and the page; it holds the step's yes/no choices and
      details text (on the aftercare page, the ticks and the typed name),
      never the link token. It is removed when the form is sent, and every
      draft is removed on the confirmation, finish and notice pages.
   2. The Print button (hidden without JavaScript) opens the print dialog. */
(function () {
  "use strict";

  var PREFIX = "intake-draft:";

  function storage() {
    try {
      return window.sessionStorage;  /* throws where storage is blocked */
    } catch (error) {
      return null;
    }
  }

  function removeDrafts(store, keep) {
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0 && (!keep || key.indexOf(keep) !== 0)) {
        store.removeItem(key);
      }
    }
  }

  function drafted(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.type === "radio" && field.checked) {
        values[field.name] = field.value;
      } else if (field.type === "checkbox") {
        values[field.name] = field.checked ? field.value : "";
      } else if (field.tagName === "TEXTAREA" || field.type === "text") {
        values[field.name] = field.value;
      }
    });
    return values;
  }

  function restore(form, values) {
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!Object.prototype.hasOwnProperty.call(values, field.name)) {
        return;
      }
      var value = values[field.name];
      if (typeof value !== "string") {
        return;
      }
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = field.value === value;
      } else if (field.tagName === "TEXTAREA" || field.type === "text") {
        field.value = value;
      }
    });
  }

  function keepDraft(store, form) {
    var scope = PREFIX + form.getAttribute("data-draft-scope") + ":";
    var key = scope + form.getAttribute("data-draft");
    removeDrafts(store, scope);  /* another session's drafts: not this patient's */
    var saved = null;
    try {
      saved = JSON.parse(store.getItem(key) || "null");
    } catch (error) {
      saved = null;
    }
    if (saved && typeof saved === "object") {
      restore(form, saved);
    }
    function save() {
      try {
        store.setItem(key, JSON.stringify(drafted(form)));
      } catch (error) {
        /* storage full or refused: the page still works, only without a draft */
      }
    }
    form.addEventListener("change", save);
    form.addEventListener("input", save);
    form.addEventListener("submit", function () {
      store.removeItem(key);
    });
  }

  function start() {
    var store = storage();
    if (store) {
      if (document.querySelector("[data-draft-clear]")) {
        removeDrafts(store, null);
      }
      var form = document.querySelector("form[data-draft][data-draft-scope]");
      if (form) {
        keepDraft(store, form);
      }
    }
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  start();
}());
