// The Time zone page: until the user has saved a zone (the site's default counts), select the browser's one in the
// list (and say so); the page marks its form with data-browser-time-zone only then.
// Nothing is saved until they press Save; without this file the list works the same, starting at the site's default.
(function () {
  "use strict";

  var form = document.querySelector("[data-browser-time-zone]");
  if (!form || !window.Intl) return;
  var select = form.querySelector('select[name="time_zone"]');
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!select || select.value !== "" || !zone) return;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) {
      select.value = zone;
      var note = form.querySelector("[data-browser-time-zone-note]");
      if (note) note.hidden = false;
      return;
    }
  }
})();
