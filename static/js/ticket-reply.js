// The staff reply box, enhanced: the note colour follows the mode radios (CSS :has() does it too), and the macro
// picker filters as you type and fills the box in place instead of reloading the page. Without this file the page
// works the same, with a reload.
(function () {
  "use strict";

  var form = document.querySelector("[data-reply-form]");
  if (!form) return;

  function syncMode() {
    var note = form.querySelector('input[name="mode"][value="note"]');
    form.classList.toggle("is-note", Boolean(note && note.checked));
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "mode") syncMode();
  });
  syncMode();

  var picker = document.querySelector("[data-macro-picker]");
  var textsNode = document.getElementById("macro-texts");
  if (!picker || !textsNode) return;
  var texts = JSON.parse(textsNode.textContent);
  var select = picker.querySelector("[data-macro-select]");
  var options = Array.prototype.slice.call(select.options);

  var search = document.createElement("input");
  search.type = "search";
  search.id = "macro-search";
  search.placeholder = "Type to find a macro";
  search.setAttribute("aria-label", "Find a macro");
  search.setAttribute("aria-controls", select.id);
  search.autocomplete = "off";
  select.parentNode.insertBefore(search, select);

  search.addEventListener("input", function () {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var first = null;
    options.forEach(function (option) {
      var name = option.textContent.toLowerCase();
      var match = words.every(function (word) { return name.indexOf(word) !== -1; });
      option.hidden = !match;
      option.disabled = !match;
      if (match && first === null) first = option;
    });
    if (first) select.value = first.value;
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      select.focus();
    }
  });

  picker.addEventListener("submit", function (event) {
    var chosen = texts[select.value];
    if (!chosen) return; // let the page do it
    event.preventDefault();
    var body = form.querySelector('textarea[name="body"]');
    body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + chosen.body : chosen.body;
    form.querySelector('input[name="macro"]').value = select.value;
    var mode = form.querySelector('input[name="mode"][value="' + (chosen.internal ? "note" : "reply") + '"]');
    if (mode) mode.checked = true;
    syncMode();
    var note = form.querySelector("[data-macro-chosen]");
    var name = select.options[select.selectedIndex].textContent;
    note.textContent = "Macro “" + name + "”" +
      (chosen.actions.length ? ": sending will also " + chosen.actions.join(", ") : "") + ".";
    note.hidden = false;
    body.focus();
  });
})();
