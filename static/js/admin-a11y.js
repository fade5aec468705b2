// Accessibility repairs for every admin page (templates/admin/base_site.html).
// The admin's autocomplete widgets (select2) hide the labelled <select> and show their own combobox, which has no
// accessible name of its own (axe: aria-input-field-name, label). Each gets its field's label; select2 builds and
// rebuilds these elements after the page loads, so they are named whenever they appear.
(function () {
  "use strict";

  function labelTextFor(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    return label ? label.textContent.replace(/:\s*$/, "").trim() : select.name;
  }

  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var widget = select.nextElementSibling;
      if (!widget || !widget.classList.contains("select2")) return;
      var name = labelTextFor(select);
      widget
        .querySelectorAll(".select2-selection, .select2-selection__rendered, .select2-search__field")
        .forEach(function (element) {
          if (element.getAttribute("aria-label") !== name) element.setAttribute("aria-label", name);
          // An empty element named by aria-labelledby would win over aria-label.
          if (element.classList.contains("select2-selection")) element.removeAttribute("aria-labelledby");
        });
    });
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      nameAutocompletes();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    nameAutocompletes();
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  });
})();
