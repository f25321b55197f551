// Conditional parts of the unified form: a field with data-when='[{"field", "equals",
// "one_of"}]' (from the compiled form's conditional parts) shows while any condition holds;
// hidden inputs are disabled so they are not sent. The server validates either way.
(function () {
  "use strict";

  function answer(form, name) {
    var input = form.elements[name];
    if (!input) return null;
    if (input.type === "checkbox") return input.checked;
    return input.value;
  }

  function holds(form, cond) {
    var value = answer(form, cond.field);
    if (cond.one_of && cond.one_of.length) return cond.one_of.indexOf(value) >= 0;
    if (cond.equals === null || cond.equals === undefined) {
      return value !== null && value !== "" && value !== false;
    }
    if (typeof cond.equals === "boolean") return value === cond.equals || value === String(cond.equals);
    return String(value) === String(cond.equals);
  }

  function update(form) {
    form.querySelectorAll("[data-when]").forEach(function (box) {
      var conditions = JSON.parse(box.getAttribute("data-when"));
      var shown = conditions.some(function (c) { return holds(form, c); });
      box.hidden = !shown;
      box.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !shown; });
    });
    form.querySelectorAll("fieldset").forEach(function (set) {
      var fields = set.querySelectorAll(".field");
      var visible = Array.prototype.some.call(fields, function (f) { return !f.hidden; });
      set.hidden = fields.length > 0 && !visible;
    });
  }

  document.querySelectorAll("form.unified").forEach(function (form) {
    form.addEventListener("change", function () { update(form); });
    form.addEventListener("input", function () { update(form); });
    update(form);
  });

  // The error summary (GOV.UK pattern): focused on load so it is read first; a link to a
  // field focuses that field (a plain link only scrolls) with its label in view.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus({ preventScroll: true });
    });
  }

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
