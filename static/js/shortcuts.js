// Keyboard shortcuts for staff pages. Progressive enhancement: every action is also a link, a button or a field
// on the page. No shortcut fires while typing in a field, or with Ctrl, Alt or Cmd held.
//   Queue:  j / k  next / previous ticket    o or Enter  open it    x  tick it for a bulk action
//   Ticket: r  reply    n  internal note    a  assign to me    s  status
//   Everywhere: /  search    ?  this list
(function () {
  "use strict";

  var SHORTCUTS = [
    ["j", "Next ticket in the list"],
    ["k", "Previous ticket in the list"],
    ["o / Enter", "Open the selected ticket"],
    ["x", "Tick or untick the selected ticket for bulk actions"],
    ["r", "Reply to the requester"],
    ["n", "Write an internal note"],
    ["a", "Assign the ticket to me"],
    ["s", "Change the status"],
    ["/", "Search"],
    ["?", "Show this list"]
  ];

  function typingIn(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-ticket-row]"));
  }

  var current = -1;

  function select(index) {
    var all = rows();
    if (!all.length) return false;
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) {
      row.classList.toggle("is-current", i === index);
      if (i === index) row.setAttribute("aria-current", "true"); else row.removeAttribute("aria-current");
    });
    current = index;
    var link = all[index].querySelector("a[href]");
    if (link) link.focus({ preventScroll: true });
    all[index].scrollIntoView({ block: "nearest" });
    return true;
  }

  function openCurrent() {
    var all = rows();
    if (current < 0 || !all[current]) return false;
    var link = all[current].querySelector("a[href]");
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  // Ticks the row's checkbox as a click would (its change event fires), and leaves the focus on the row's link, so
  // j / k go on from there: a focused checkbox is a field, where shortcuts rest.
  function toggleCurrent() {
    var all = rows();
    if (current < 0 || !all[current]) return false;
    var box = all[current].querySelector('input[type="checkbox"]');
    if (!box || box.disabled) return false;
    box.click();
    return true;
  }

  function replyMode(mode) {
    var radio = document.querySelector('[data-reply-form] input[name="mode"][value="' + mode + '"]');
    var body = document.querySelector('[data-reply-form] textarea[name="body"]');
    if (!radio || !body) return false;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    body.focus();
    return true;
  }

  function assignToMe() {
    var form = document.querySelector("form[data-assign-me]");
    if (!form) return false;
    form.requestSubmit ? form.requestSubmit() : form.submit();
    return true;
  }

  function focusField(selector) {
    var field = document.querySelector(selector);
    if (!field) return false;
    field.focus();
    return true;
  }

  var dialog = null;

  function help() {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "shortcuts-help";
      dialog.setAttribute("aria-labelledby", "shortcuts-help-title");
      var title = document.createElement("h2");
      title.id = "shortcuts-help-title";
      title.textContent = "Keyboard shortcuts";
      dialog.appendChild(title);
      var list = document.createElement("dl");
      SHORTCUTS.forEach(function (shortcut) {
        var key = document.createElement("dt");
        var kbd = document.createElement("kbd");
        kbd.textContent = shortcut[0];
        key.appendChild(kbd);
        var what = document.createElement("dd");
        what.textContent = shortcut[1];
        list.appendChild(key);
        list.appendChild(what);
      });
      dialog.appendChild(list);
      var note = document.createElement("p");
      note.textContent = "Shortcuts do nothing while you type in a field. Press Escape to close.";
      dialog.appendChild(note);
      var close = document.createElement("button");
      close.type = "button";
      close.className = "button";
      close.textContent = "Close";
      close.addEventListener("click", function () { dialog.close(); });
      dialog.appendChild(close);
      document.body.appendChild(dialog);
    }
    if (dialog.open) dialog.close(); else dialog.showModal();
    return true;
  }

  var actions = {
    "j": function () { return select(current + 1); },
    "k": function () { return select(current < 0 ? 0 : current - 1); },
    "o": openCurrent,
    "x": toggleCurrent,
    "Enter": function () { return current >= 0 && document.activeElement === document.body ? openCurrent() : false; },
    "r": function () { return replyMode("reply"); },
    "n": function () { return replyMode("note"); },
    "a": assignToMe,
    "s": function () { return focusField('select[name="status"]'); },
    "/": function () {
      return focusField('[data-search-input], input[type="search"]:not(#macro-search), input[name="q"]');
    },
    "?": help
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target)) return;
    if (dialog && dialog.open && event.key !== "?") return;
    var action = actions[event.key];
    if (action && action()) event.preventDefault();
  });

  // Remember the row a click or focus landed on, so j/k continue from there.
  document.addEventListener("focusin", function (event) {
    var row = event.target.closest && event.target.closest("[data-ticket-row]");
    if (row) current = rows().indexOf(row);
  });
})();
