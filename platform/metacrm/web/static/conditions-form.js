// A form's conditions, live: an element with data-visible-if, data-required-if or
// data-readonly-if (CEL text, from the form layout) is shown, required or made
// read-only the moment the user's input makes its condition hold, and undone when it
// stops holding. The values are the form's controls, each named after its field and
// typed by data-type (on the control or an ancestor): integers, exact decimals,
// dates... as the server types them (conditions.js); the record's other fields come
// from the form's data-values. A condition that does not apply
// (it needs an empty field) or fails counts as false. The server checks required_if
// and readonly_if again on every write: this is for the user, not for safety.
//
// Loaded as a module (<script type="module" src=".../conditions-form.js">): it binds
// every form on the page that has conditions. No inline script, no eval.

import {ExpressionError, builtinValues, compileCondition, fieldValue} from "./conditions.js";

const CONDITIONS = [["visibleIf", "visible"], ["requiredIf", "required"], ["readonlyIf", "readonly"]];
const SELECTOR = "[data-visible-if], [data-required-if], [data-readonly-if]";
const SKIPPED = new Set(["submit", "button", "reset", "file", "image"]);
// Controls a browser cannot make read-only: they are disabled instead, and a hidden
// copy of their value is posted in their place (a post that left the field out
// would clear it, or turn a checkbox off).
const NO_READONLY = new Set(["checkbox", "radio", "select-one", "select-multiple"]);
const COPIES = new WeakMap(); // a disabled control: the hidden inputs posted for it
const SHADOWS = new WeakSet(); // those hidden inputs, which are no values of their own

function typeOf(control) {
  return control.dataset.type || control.closest("[data-type]")?.dataset.type || "string";
}

/** The record's values the form offers no control for: its data-values, a JSON
 * object of field: [type, text] (a workflow's state, read-only fields...). */
function recordValues(form, zone) {
  const values = {};
  for (const [name, [type, text]] of Object.entries(JSON.parse(form.dataset.values || "{}"))) {
    values[name] = fieldValue(text, type, zone);
  }
  return values;
}

/** The zone the form's times are written in (settings: time_zone): its data-time-zone. */
function zoneOf(form) {
  return form.dataset.timeZone || "UTC";
}

/** The field values the form's controls hold now, typed as the server types them. */
export function readValues(form, zone = zoneOf(form)) {
  const texts = new Map();
  for (const control of form.elements) {
    const name = control.name;
    if (!name || SKIPPED.has(control.type) || SHADOWS.has(control)) continue;
    const type = typeOf(control);
    if (control.type === "checkbox") {
      if (type === "boolean") texts.set(name, [type, control.checked]);
      else {
        const list = texts.get(name)?.[1] ?? [];
        if (control.checked) list.push(control.value);
        texts.set(name, [type, list]);
      }
    } else if (control.type === "radio") {
      if (control.checked || !texts.has(name)) texts.set(name, [type, control.checked ? control.value : ""]);
    } else if (control.type === "hidden" && control.closest("[data-many-pick]")) {
      const list = texts.get(name)?.[1] ?? [];
      list.push(control.value);
      texts.set(name, [type, list]);
    } else if (control.type === "select-multiple") {
      texts.set(name, [type, [...control.selectedOptions].map((option) => option.value)]);
    } else {
      texts.set(name, [type, control.value]);
    }
  }
  const values = {};
  for (const [name, [type, text]] of texts) values[name] = fieldValue(text, type, zone);
  return values;
}

function controlsOf(element) {
  return element.matches("input, select, textarea") ? [element]
    : [...element.querySelectorAll("input, select, textarea")];
}

function setRequired(control, on) {
  control.required = on;
  if (on) control.setAttribute("aria-required", "true");
  else control.removeAttribute("aria-required");
}

function postedValues(control) {
  if (control.type === "select-one" || control.type === "select-multiple") {
    return [...control.selectedOptions].map((option) => option.value);
  }
  return control.checked ? [control.value] : [];
}

function setReadonly(control, on) {
  if (!NO_READONLY.has(control.type)) {
    control.readOnly = on;
    return;
  }
  if (on === control.disabled) return;
  control.disabled = on;
  for (const copy of COPIES.get(control) || []) copy.remove();
  COPIES.set(control, on ? postedValues(control).map((value) => {
    const copy = Object.assign(document.createElement("input"), {type: "hidden", name: control.name, value});
    SHADOWS.add(copy);
    control.after(copy);
    return copy;
  }) : []);
}

function userOf(form) {
  const id = form.dataset.user || document.body.dataset.userId;
  return id && /^\d+$/.test(id) ? BigInt(id) : null;
}

/** Bind ``form``'s conditions; the function that re-applies them (null: none).
 * ``user`` is what `user` means in them: the signed-in user's id by default. */
export function bindConditions(form, {user = userOf(form), now = () => new Date()} = {}) {
  const rules = [];
  for (const element of form.querySelectorAll(SELECTOR)) {
    for (const [key, kind] of CONDITIONS) {
      const source = element.dataset[key];
      if (source === undefined) continue;
      try {
        rules.push({element, kind, holds: compileCondition(source)});
      } catch (error) {
        if (!(error instanceof ExpressionError)) throw error;
        // `metacrm check` refuses such a layout; the form works without the rule.
        console.warn(`condition ${key} "${source}" does not parse: ${error.message}`);
      }
    }
  }
  if (!rules.length) return null;
  // The controls whose `required` the conditions decide, with the field's own
  // requirement (the layout's `required`), which a condition never lifts.
  const own = new Map();
  for (const {element, kind} of rules) {
    if (kind === "readonly") continue;
    for (const control of controlsOf(element)) if (!own.has(control)) own.set(control, control.required);
  }

  const zone = zoneOf(form);
  const record = recordValues(form, zone);
  const apply = () => {
    const values = {...builtinValues(now(), user, zone), ...record, ...readValues(form, zone)};
    const required = new Set();
    for (const {element, kind, holds} of rules) {
      const on = holds(values);
      if (kind === "visible") element.hidden = !on;
      else if (kind === "readonly") {
        element.classList.toggle("is-readonly", on);
        controlsOf(element).forEach((control) => setReadonly(control, on));
      } else {
        element.classList.toggle("is-required", on);
        if (on) controlsOf(element).forEach((control) => required.add(control));
      }
    }
    // A hidden field is never required: the browser would not let the form be sent.
    for (const [control, base] of own) {
      setRequired(control, (base || required.has(control)) && !control.closest("[hidden]"));
    }
  };
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  apply();
  return apply;
}

const bound = new WeakSet();

/** Bind every form in ``root`` (or ``root`` itself) that has conditions, once. */
export function bindAll(root = document) {
  const forms = root.matches?.("form") ? [root] : [...root.querySelectorAll("form")];
  for (const form of forms) {
    if (bound.has(form) || !form.querySelector(SELECTOR)) continue;
    bound.add(form);
    bindConditions(form);
  }
}

bindAll();
// A form htmx brings into the page later (a quick-create dialog...) is bound too.
document.addEventListener("htmx:load", (event) => bindAll(event.detail.elt));
