// Conditional intake fields: shows, hides and requires fields live, from the rules each field's wrapper carries
// (data-visible-when, data-required-when: the published version's own JSON). It mirrors forms_builder/engine.py,
// which stays the judge: without this script every field shows, and the server drops what is hidden.
(function () {
  "use strict";

  // A field's effective value, as the engine sees it: blank and hidden fields are EMPTY; a value the engine would
  // refuse is INVALID, and makes every condition on it false.
  var EMPTY = { name: "empty" };
  var INVALID = { name: "invalid" };
  var INTEGER_RE = /^[+-]?[0-9]+$/;
  var DECIMAL_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
  var DATE_RE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

  function controlsOf(wrapper) {
    return Array.prototype.slice.call(wrapper.querySelectorAll("input, select, textarea"));
  }

  function checkedValues(wrapper) {
    return controlsOf(wrapper)
      .filter(function (control) { return control.checked; })
      .map(function (control) { return control.value; });
  }

  function effectiveValue(wrapper) {
    var type = wrapper.getAttribute("data-field-type");
    if (type === "checkbox") return checkedValues(wrapper).length > 0 ? true : EMPTY;
    if (type === "multiselect") {
      var picked = checkedValues(wrapper); // in the page's order, which is the form's
      return picked.length > 0 ? picked : EMPTY;
    }
    if (type === "file") return EMPTY; // never a condition's source
    var text = type === "radio" ? checkedValues(wrapper)[0] || "" : (controlsOf(wrapper)[0] || { value: "" }).value;
    text = text.trim();
    if (text === "") return EMPTY;
    if (type === "integer") return INTEGER_RE.test(text) ? Number(text) : INVALID;
    if (type === "decimal") return DECIMAL_RE.test(text) ? Number(text) : INVALID;
    if (type === "date") return DATE_RE.test(text) && !isNaN(Date.parse(text)) ? text : INVALID;
    return text;
  }

  function splitValues(text) {
    return String(text).split(",").map(function (part) { return part.trim(); }).filter(Boolean);
  }

  // The condition's value in the source's terms, as definitions.coerce_condition_value makes it.
  function coerceOne(type, text) {
    text = String(text).trim();
    if (type === "integer" || type === "decimal") return Number(text);
    if (type === "checkbox") return text.toLowerCase() === "true";
    return text; // dates stay "YYYY-MM-DD" strings, which compare in calendar order
  }

  function expectedValue(type, operator, value) {
    if (operator === "is_empty" || operator === "is_not_empty") return null;
    if (operator === "in" || operator === "not_in") {
      var values = Array.isArray(value) ? value : splitValues(value || "");
      return values.map(function (item) { return coerceOne(type, item); });
    }
    if (type === "multiselect" && (operator === "equals" || operator === "not_equals")) {
      return splitValues(value || ""); // the whole selection, as a set
    }
    return coerceOne(type, value || "");
  }

  function sameSet(left, right) {
    var a = left.slice().sort();
    var b = right.filter(function (item, index) { return right.indexOf(item) === index; }).sort();
    return a.length === b.length && a.every(function (item, index) { return item === b[index]; });
  }

  function holdsWhenEmpty(type, operator, expected) {
    // An unticked checkbox is false; anything else empty is "nothing".
    if (type === "checkbox" && (operator === "equals" || operator === "not_equals")) {
      return (expected === false) === (operator === "equals");
    }
    return operator === "is_empty" || operator === "not_equals" || operator === "not_in";
  }

  function compare(type, operator, expected, current) {
    var multi = type === "multiselect";
    switch (operator) {
      case "is_empty": return false;
      case "is_not_empty": return true;
      case "equals": return multi ? sameSet(current, expected) : current === expected;
      case "not_equals": return multi ? !sameSet(current, expected) : current !== expected;
      case "in":
      case "not_in": {
        var hit = multi
          ? current.some(function (item) { return expected.indexOf(item) !== -1; })
          : expected.indexOf(current) !== -1;
        return operator === "in" ? hit : !hit;
      }
      case "contains": return current.indexOf(expected) !== -1; // a substring, or one of the selected options
      case "gt": return current > expected;
      case "lt": return current < expected;
      default: return false;
    }
  }

  function conditionHolds(condition, values, types) {
    var current = values.hasOwnProperty(condition.field) ? values[condition.field] : EMPTY;
    if (current === INVALID) return false;
    var type = types[condition.field];
    var expected = expectedValue(type, condition.operator, condition.value);
    if (current === EMPTY) return holdsWhenEmpty(type, condition.operator, expected);
    return compare(type, condition.operator, expected, current);
  }

  function groupHolds(group, values, types, fallback) {
    if (!group || !group.conditions || group.conditions.length === 0) return fallback;
    var results = group.conditions.map(function (condition) { return conditionHolds(condition, values, types); });
    return group.match === "any" ? results.indexOf(true) !== -1 : results.indexOf(false) === -1;
  }

  function parseRules(wrapper, name) {
    var text = wrapper.getAttribute(name);
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch (error) {
      return null; // unreadable rules: leave the field to the server
    }
  }

  function setRequired(wrapper, required) {
    wrapper.classList.toggle("is-required", required);
    // Checkbox groups are left to the server: a required attribute on each box would demand every box.
    var type = wrapper.getAttribute("data-field-type");
    if (type === "multiselect" || type === "checkbox") return;
    controlsOf(wrapper).forEach(function (control) { control.required = required; });
  }

  function update(fields) {
    // In field order: conditions only look at earlier fields, and a hidden field counts as empty, so a field that
    // depends on a hidden one behaves as if it were blank.
    var values = {};
    var types = {};
    fields.forEach(function (field) {
      types[field.key] = field.type;
      var visible = groupHolds(field.visibleWhen, values, types, true);
      field.wrapper.hidden = !visible;
      values[field.key] = visible ? effectiveValue(field.wrapper) : EMPTY;
      var required = field.required || groupHolds(field.requiredWhen, values, types, false);
      setRequired(field.wrapper, visible && required);
    });
  }

  function setUp(form) {
    // The rules are read once; every input or change only re-evaluates them.
    var fields = Array.prototype.map.call(form.querySelectorAll("[data-field-key]"), function (wrapper) {
      return {
        wrapper: wrapper,
        key: wrapper.getAttribute("data-field-key"),
        type: wrapper.getAttribute("data-field-type"),
        required: wrapper.getAttribute("data-required") === "true",
        visibleWhen: parseRules(wrapper, "data-visible-when"),
        requiredWhen: parseRules(wrapper, "data-required-when"),
      };
    });
    var refresh = function () { update(fields); };
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    refresh();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-conditional-fields]"), setUp);
})();
