// Collision warnings on the staff ticket page: report "I have this open / I am typing" every few seconds, show who
// else has it open or is typing, and say when a message arrived since the page was loaded. Without this file the
// page still lists who had the ticket open when it loaded, and the server holds a reply that crossed a new message.
(function () {
  "use strict";

  var box = document.querySelector("[data-presence]");
  var form = document.querySelector("[data-reply-form]");
  if (!box || !form || !window.fetch) return;

  var url = box.getAttribute("data-presence-url");
  var every = Math.max(3, parseInt(box.getAttribute("data-poll-seconds"), 10) || 10) * 1000;
  var token = form.querySelector('input[name="csrfmiddlewaretoken"]');
  var seen = form.querySelector('input[name="seen_comment"]');
  var arrivedNote = document.querySelector("[data-arrived-live]");
  var body = form.querySelector('textarea[name="body"]');
  var lastKey = 0;
  var timer = null;

  if (body) {
    body.addEventListener("input", function () { lastKey = Date.now(); });
  }

  function render(viewers) {
    box.textContent = "";
    viewers.forEach(function (viewer, index) {
      if (index) box.appendChild(document.createTextNode(" · "));
      var span = document.createElement("span");
      span.className = "presence-viewer" + (viewer.typing ? " presence-typing" : "");
      span.textContent = viewer.name + (viewer.typing ? " is typing a reply" : " is viewing");
      box.appendChild(span);
    });
    box.classList.toggle("presence-empty", viewers.length === 0);
  }

  function poll() {
    var data = new URLSearchParams();
    data.set("typing", Date.now() - lastKey < every ? "1" : "0");
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (state) {
      if (!state) return;
      render(state.viewers || []);
      if (arrivedNote && seen && state.latest_comment > parseInt(seen.value || "0", 10)) arrivedNote.hidden = false;
    }).catch(function () { /* the next poll tries again */ });
  }

  function start() {
    if (timer === null) timer = window.setInterval(poll, every);
  }
  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { stop(); } else { poll(); start(); }
  });
  poll();
  start();
})();
