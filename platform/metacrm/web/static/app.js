// The pages' own behaviour. A file, not inline: the Content-Security-Policy runs no
// inline script and evaluates no strings, so Alpine components are registered here.
"use strict";

document.addEventListener("alpine:init", () => {
  // The navigation drawer on narrow screens.
  window.Alpine.data("menu", () => ({
    open: false,
    toggle() { this.open = !this.open; },
  }));
});

// Requests htmx sends on a signed-in page carry the session's CSRF token.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.body.dataset.csrf;
  if (token) event.detail.headers["X-CSRF-Token"] = token;
});

// Picking a language saves it in the user's profile (the same PATCH the API offers),
// so every later page speaks it; without a session the link still works for one page.
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a.lang[data-user]");
  const token = document.body.dataset.csrf;
  if (!link || !token) return;
  event.preventDefault();
  const response = await fetch(`/api/users/${link.dataset.user}`, {
    method: "PATCH",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
    body: JSON.stringify({language: link.hreflang}),
  });
  if (response.ok) {
    const url = new URL(window.location.href);
    url.searchParams.delete("lang");
    window.location.assign(url);
  } else {
    window.location.assign(link.href);
  }
});

// Buttons that act on a record through the REST API: form[data-api] posts its fields
// as JSON (names like "values.stage" nest), with the CSRF token and, where the form
// carries the record's version, If-Match. A refusal is shown in the form's output.
function apiBody(form) {
  const body = {};
  for (const [name, raw] of new FormData(form)) {
    // "roles[]": every ticked value, as a list (present even when none is ticked).
    if (name.endsWith("[]")) {
      if (raw !== "") (body[name.slice(0, -2)] ??= []).push(raw);
      continue;
    }
    if (raw === "") continue;
    // A datetime-local control has no offset: send the moment it means here, in UTC.
    const local = form.querySelector(`[name="${name}"][data-local-time]`);
    const value = local ? new Date(raw).toISOString() : raw;
    const [head, ...rest] = name.split(".");
    if (rest.length) (body[head] ??= {})[rest.join(".")] = value;
    else body[head] = value;
  }
  return body;
}

function refusalText(answer, status) {
  const errors = answer && answer.errors;
  if (!errors) return `HTTP ${status}`;
  return Object.entries(errors)
    .map(([key, texts]) => (key.startsWith("_") ? "" : `${key}: `) + [].concat(texts).join(" "))
    .join("\n");
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  const url = event.submitter?.getAttribute("formaction") || form.dataset.api;
  const headers = {"Content-Type": "application/json"};
  if (document.body.dataset.csrf) headers["X-CSRF-Token"] = document.body.dataset.csrf;
  if (form.dataset.ifMatch) headers["If-Match"] = `"${form.dataset.ifMatch}"`;
  const output = form.querySelector("[data-errors]");
  if (output) output.textContent = "";
  const enabled = [...form.querySelectorAll("button:not(:disabled)")];
  enabled.forEach((b) => { b.disabled = true; });
  try {
    const method = form.dataset.method || "POST";
    const body = method === "DELETE" ? undefined : JSON.stringify(apiBody(form));
    const response = await fetch(url, {method, headers, body});
    if (response.ok) {
      window.location.assign(form.dataset.next || window.location.href);
      return;
    }
    const answer = await response.json().catch(() => null);
    if (output) output.textContent = refusalText(answer, response.status);
  } finally {
    enabled.forEach((b) => { b.disabled = false; });
  }
});

// The filter builder: offer the operators the chosen field's type takes, and send the
// filter as the list API's parameter (field__operator=value).
function syncOperators(form) {
  const field = form.querySelector("[data-filter-field]");
  const allowed = (field.selectedOptions[0]?.dataset.operators || "").split(",");
  const operator = form.querySelector("[data-filter-operator]");
  for (const option of operator.options) option.hidden = !allowed.includes(option.value);
  if (!allowed.includes(operator.value)) operator.value = allowed[0];
}

document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-filter-builder]");
  if (form && event.target.matches("[data-filter-field]")) syncOperators(form);
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-filter-builder]").forEach(syncOperators);
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-filter-builder]");
  if (!form) return;
  const field = form.querySelector("[data-filter-field]").value;
  const operator = form.querySelector("[data-filter-operator]").value;
  const value = form.querySelector("[data-filter-value]");
  value.name = operator === "eq" ? field : `${field}__${operator}`;
});

// A layout's tabs: one panel at a time once the script runs (without it, every
// panel shows, one after the other).
function showTab(tab) {
  const layout = tab.closest("[data-tabs]");
  for (const other of layout.querySelectorAll(":scope > .tablist [role=tab]")) {
    const selected = other === tab;
    other.setAttribute("aria-selected", selected ? "true" : "false");
    other.tabIndex = selected ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
  }
}
document.addEventListener("DOMContentLoaded", () => {
  for (const layout of document.querySelectorAll("[data-tabs]")) {
    // The first tab holding a refused field opens, so its message is seen.
    const invalid = layout.querySelector(".field.invalid");
    const panel = invalid ? invalid.closest("[role=tabpanel]") : null;
    const first = panel ? document.getElementById(panel.getAttribute("aria-labelledby"))
                        : layout.querySelector("[role=tab]");
    if (first) showTab(first);
  }
});
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[data-tabs] [role=tab]");
  if (tab) showTab(tab);
});

// A reference picker (templates/ui/_picker.html): the text box shows a title, the
// hidden input next to it holds the id the form sends. Picking an offer sets the id;
// typed digits pass as an id; other text goes as typed, so the server refuses it by
// the field ("not a valid record id") rather than the page guessing.
function syncPick(input) {
  const held = document.getElementById(input.dataset.pick);
  if (!held) return;
  const offer = [...(input.list?.options || [])].find((option) => option.value === input.value);
  held.value = offer ? offer.dataset.id : input.value.trim();
}
document.addEventListener("input", (event) => {
  if (event.target.matches("input[data-pick]")) syncPick(event.target);
});
document.addEventListener("htmx:afterSwap", (event) => {
  // Offers that arrive after the text was typed out in full still pick their record.
  const picker = document.querySelector(`input[data-pick][list="${event.target.id}"]`);
  if (picker && picker.value !== picker.defaultValue) syncPick(picker);
});

// A picker of many records (templates/ui/_picker.html, many_picker): an offer picked
// (or an id typed and Enter) becomes a chip with its id in a hidden input; × removes it.
function addChip(input) {
  const box = input.closest("[data-many-pick]");
  const typed = input.value.trim();
  const offer = [...(input.list?.options || [])].find((option) => option.value === input.value);
  const id = offer ? offer.dataset.id : (/^\d{1,19}$/.test(typed) ? typed : null);
  if (!box || !id) return false;
  input.value = "";
  const chips = box.querySelector(".chips");
  if ([...chips.querySelectorAll("input[type=hidden]")].some((held) => held.value === id)) return true;
  const chip = document.createElement("li");
  chip.className = "chip";
  const held = Object.assign(document.createElement("input"), {type: "hidden", name: box.dataset.manyPick, value: id});
  const title = Object.assign(document.createElement("span"), {textContent: offer ? offer.value : `#${id}`});
  const remove = Object.assign(document.createElement("button"), {type: "button", className: "link", textContent: "×"});
  remove.dataset.unpick = "";
  remove.setAttribute("aria-label", `${box.dataset.removeLabel} ${title.textContent}`);
  chip.append(held, title, " ", remove);
  chips.append(chip);
  held.dispatchEvent(new Event("input", {bubbles: true})); // the form's conditions re-read it
  return true;
}
document.addEventListener("input", (event) => {
  if (event.target.matches("input[data-many-pick-input]")) {
    const input = event.target;
    if ([...(input.list?.options || [])].some((option) => option.value === input.value)) addChip(input);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[data-many-pick-input]")) {
    event.preventDefault(); // Enter adds the record rather than sending the form
    addChip(event.target);
  }
});
document.addEventListener("click", (event) => {
  const remove = event.target.closest("[data-many-pick] [data-unpick]");
  if (!remove) return;
  const box = remove.closest("[data-many-pick]");
  remove.closest(".chip").remove();
  box.querySelector("input[data-many-pick-input]")?.dispatchEvent(new Event("input", {bubbles: true}));
});
