"""A form as a browser holds it, and what a browser puts back when a page is revisited (Back, a reload).

Browsers (Chromium's FormController, Firefox's session history) keep each control's state when a page is left,
and restore it onto the page they show again, which may be freshly rendered from newer data:
- a select gets its earlier choice back, matched by option value (nothing changes if no option has that value);
- a checkbox gets its earlier checked state back;
- a text input or textarea gets its earlier text back only if the user had edited it;
- a hidden input is never restored (its value is the one just rendered), so a version token comes back fresh.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Control:
    kind: str  # "select", "hidden", "text", "checkbox", "textarea"
    name: str
    value: str | None = ""  # None: nothing is sent (a select with no option chosen)
    options: list[str] = field(default_factory=list)
    checked: bool = False
    multiple: bool = False


class _FormParser(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.controls: list[Control] = []
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = attributes.get("action", "").split("?")[0] == self.action
        if not self.inside or ("name" not in attributes and tag != "option"):
            return
        if tag == "select":
            self._select = Control("select", attributes["name"], value=None, multiple="multiple" in attributes)
            self.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            self._select.options.append(value)
            # A single select with nothing marked selected shows, and sends, its first option.
            first_of_single = len(self._select.options) == 1 and not self._select.multiple
            if "selected" in attributes or first_of_single:
                self._select.value = value
        elif tag == "textarea":
            self._textarea = Control("textarea", attributes["name"])
            self.controls.append(self._textarea)
        elif tag == "input":
            kind = attributes.get("type", "text")
            if kind in {"submit", "button", "file"}:
                return
            control = Control(kind if kind in {"hidden", "checkbox"} else "text", attributes["name"])
            control.value = attributes.get("value", "on" if kind == "checkbox" else "")
            control.checked = "checked" in attributes
            self.controls.append(control)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data.removeprefix("\n") if not self._textarea.value else data


def form_controls(html: str, action: str) -> list[Control]:
    """The controls of the form posting to `action`, as rendered."""
    parser = _FormParser(action)
    parser.feed(html)
    assert parser.controls, f"no form posting to {action}"
    return parser.controls


def revisited(earlier: list[Control], fresh: list[Control]) -> list[Control]:
    """The fresh page's controls after the browser put back what it kept from the earlier visit (see above)."""
    kept = {control.name: control for control in earlier}
    restored = []
    for control in fresh:
        old = kept.get(control.name)
        if old is not None and control.kind == "select" and old.value in control.options:
            control = Control("select", control.name, old.value, control.options, multiple=control.multiple)
        elif old is not None and control.kind == "checkbox":
            control = Control("checkbox", control.name, control.value, checked=old.checked)
        restored.append(control)
    return restored


def choose(controls: list[Control], name: str, label_value: str) -> list[Control]:
    """The user picks `label_value` in the select `name` (the option whose value it is)."""
    chosen = []
    for control in controls:
        if control.name == name:
            assert label_value in control.options, (name, label_value, control.options)
            control = Control("select", name, label_value, control.options)
        chosen.append(control)
    return chosen


def submitted(controls: list[Control]) -> dict[str, str]:
    """What the browser sends: every control's value, checkboxes only when checked, selects only with a choice."""
    return {c.name: c.value for c in controls if c.value is not None and (c.kind != "checkbox" or c.checked)}
