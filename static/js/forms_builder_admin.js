// The form builder in the admin (forms_builder/admin.py, templates/admin/forms_builder/form/). Enhancements only:
// without this script the server already shows each field's own rules and accepts conditions on saved fields.
// - a field's rules follow its type as it changes (the server clears the others on save);
// - a new field's key follows its label until the key is typed in;
// - the conditions' "Field" and "Depends on" lists offer the fields added on this page, by "key:<key>", which the
//   server resolves in the same save.
(function () {
  "use strict";

  var NEW_FIELD_PREFIX = "key:";

  function fieldRows() {
    return Array.prototype.slice.call(document.querySelectorAll("#fields-group .fb-field:not(.empty-form)"));
  }

  function control(row, name) {
    return row.querySelector('[name$="-' + name + '"]');
  }

  function isNew(row) {
    var id = control(row, "id");
    return !id || !id.value;
  }

  // --- rules by type --------------------------------------------------------------------------------------------

  function showRulesOf(row) {
    var type = control(row, "type");
    if (!type) return;
    row.querySelectorAll("[data-rule-types]").forEach(function (rule) {
      rule.hidden = rule.getAttribute("data-rule-types").split(" ").indexOf(type.value) === -1;
    });
  }

  // --- keys from labels -----------------------------------------------------------------------------------------

  function keyFromLabel(label) {
    return label
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 50);
  }

  // --- fields offered to conditions -----------------------------------------------------------------------------

  function referenceSelects() {
    return Array.prototype.slice.call(
      document.querySelectorAll('#conditions-group select[name$="-target"], #conditions-group select[name$="-source"]')
    );
  }

  function newFieldOptionText(row) {
    var key = control(row, "key").value.trim();
    var label = control(row, "label").value.trim();
    return (label || key) + " (" + key + ", new)";
  }

  function refreshFieldOptions() {
    var rows = fieldRows().filter(isNew);
    referenceSelects().forEach(function (select) {
      var wanted = {};
      rows.forEach(function (row) {
        var key = control(row, "key").value.trim();
        if (!key) return;
        wanted[row.id] = true;
        var option = select.querySelector('option[data-field-row="' + row.id + '"]');
        if (!option) {
          // An option the server rendered after a refused save, or none yet.
          option = Array.prototype.find.call(select.options, function (candidate) {
            return candidate.value === NEW_FIELD_PREFIX + key && !candidate.hasAttribute("data-field-row");
          });
        }
        if (!option) {
          option = document.createElement("option");
          select.appendChild(option);
        }
        option.setAttribute("data-field-row", row.id);
        option.value = NEW_FIELD_PREFIX + key;
        option.textContent = newFieldOptionText(row);
      });
      Array.prototype.slice.call(select.options).forEach(function (option) {
        var forRow = option.getAttribute("data-field-row");
        if (forRow && !wanted[forRow]) option.remove();
      });
    });
  }

  // --- wiring ---------------------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", function () {
    var fields = document.getElementById("fields-group");
    if (!fields) return;
    fieldRows().forEach(function (row) {
      showRulesOf(row);
      var key = control(row, "key");
      if (key && key.value) key.setAttribute("data-typed", "true"); // given before: never rewritten from the label
    });
    refreshFieldOptions();

    fields.addEventListener("change", function (event) {
      var row = event.target.closest(".fb-field");
      if (row && event.target.matches('[name$="-type"]')) showRulesOf(row);
    });
    fields.addEventListener("input", function (event) {
      var row = event.target.closest(".fb-field");
      if (!row) return;
      if (event.target.matches('[name$="-key"]')) {
        event.target.setAttribute("data-typed", "true");
      } else if (event.target.matches('[name$="-label"]') && isNew(row)) {
        var key = control(row, "key");
        if (key && (!key.value || !key.hasAttribute("data-typed"))) key.value = keyFromLabel(event.target.value);
      }
      refreshFieldOptions();
    });
    // Rows added or removed with "Add another" / the cross (Django's inlines.js).
    document.addEventListener("formset:added", function (event) {
      if (event.target.classList && event.target.classList.contains("fb-field")) showRulesOf(event.target);
      refreshFieldOptions();
    });
    document.addEventListener("formset:removed", refreshFieldOptions);
  });
})();
