// The form designer: tabs, sections and field cards dragged with SortableJS; the
// layout read back from the cards and saved through PUT /api/meta/forms/<form> (a
// new version of the layout, checked like YAML); a custom field added through
// POST /api/meta/customizations (the table is migrated online); versions reverted.
"use strict";

function csrfHeaders() {
  const headers = {"Content-Type": "application/json"};
  if (document.body.dataset.csrf) headers["X-CSRF-Token"] = document.body.dataset.csrf;
  return headers;
}

function reasonOf(answer, status) {
  if (!answer || !answer.errors) return `HTTP ${status}`;
  return Object.values(answer.errors).flat().join(" ");
}

function label(root, prefix) {
  const text = {};
  for (const lang of ["en", "zh"]) {
    const input = root.querySelector(`:scope > [data-prop="${prefix}.${lang}"], :scope > label > [data-prop="${prefix}.${lang}"]`);
    const value = input ? input.value.trim() : "";
    if (value) text[lang] = value;
  }
  return Object.keys(text).length ? text : null;
}

function own(root, selector) {
  return root.querySelector(`:scope > ${selector}, :scope > label > ${selector}`);
}

function readField(card) {
  const props = card.querySelector(".dcard-props");
  const spec = {field: card.dataset.field};
  const span = Number(own(props, "[data-prop=span]").value);
  if (span !== 1) spec.span = span;
  const help = label(props, "help");
  if (help) spec.help = help;
  for (const kind of ["visible_if", "required_if", "readonly_if"]) {
    const value = own(props, `[data-prop=${kind}]`).value.trim();
    if (value) spec[kind] = value;
  }
  return Object.keys(spec).length === 1 ? spec.field : spec;
}

function readSection(item) {
  const head = item.querySelector(".dsection-head");
  const spec = {};
  const title = label(head, "title");
  if (title) spec.title = title;
  spec.columns = Number(own(head, "[data-prop=columns]").value);
  if (own(head, "[data-prop=collapsed]").checked) spec.collapsed = true;
  else if (own(head, "[data-prop=collapsible]").checked) spec.collapsible = true;
  const visible = own(head, "[data-prop=visible_if]").value.trim();
  if (visible) spec.visible_if = visible;
  spec.fields = [...item.querySelectorAll(":scope > ol.dfields > li.dcard")].map(readField);
  return spec;
}

function tabName(text, index, taken) {
  let name = (text || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  if (!/^[a-z]/.test(name)) name = `tab_${index + 1}`;
  while (taken.has(name)) name = `${name}_${index + 1}`;
  taken.add(name);
  return name;
}

function readLayout(designer) {
  const document_ = JSON.parse(designer.dataset.document);
  delete document_.sections;
  const taken = new Set();
  document_.tabs = [...designer.querySelectorAll("ol.dtabs > li.dtab")].map((item, index) => {
    const head = item.querySelector(".dtab-head");
    const text = label(head, "label");
    const name = item.dataset.name || tabName(text && text.en, index, taken);
    taken.add(name);
    const tab = {name, label: text || {en: name}};
    tab.sections = [...item.querySelectorAll(":scope > ol.dsections > li.dsection")].map(readSection);
    return tab;
  });
  return document_;
}

function sortable(list, group) {
  if (!window.Sortable || list.dataset.sortable) return;
  list.dataset.sortable = "1";
  window.Sortable.create(list, {
    group, animation: 120, handle: group === "fields" ? ".dcard-head" : ".grip",
    forceFallback: true,  // pointer events: the same on a phone, a mouse and a test
    filter: "input, select, textarea, button, summary", preventOnFilter: false,
  });
}

function activate(root) {
  root.querySelectorAll("ol.dtabs").forEach((list) => sortable(list, "tabs"));
  root.querySelectorAll("ol.dsections").forEach((list) => sortable(list, "sections"));
  root.querySelectorAll("ol.dfields").forEach((list) => sortable(list, "fields"));
  if (window.htmx) window.htmx.process(root);
}

function fromTemplate(designer, kind) {
  const template = designer.querySelector(`template.tpl-${kind}`);
  return template.content.firstElementChild.cloneNode(true);
}

async function save(designer, result) {
  result.textContent = "";
  result.classList.remove("error");
  const response = await fetch(`/api/meta/forms/${designer.dataset.form}`, {
    method: "PUT", headers: csrfHeaders(), body: JSON.stringify(readLayout(designer)),
  });
  const answer = await response.json().catch(() => null);
  if (response.ok) {
    result.textContent = designer.dataset.saved;
    window.setTimeout(() => window.location.reload(), 600);
    return;
  }
  result.textContent = reasonOf(answer, response.status);
  result.classList.add("error");
}

async function revert(designer, version, result) {
  const response = await fetch(
    `/api/meta/forms/${designer.dataset.form}/versions/${version}/revert`,
    {method: "POST", headers: csrfHeaders()});
  if (response.ok) {
    window.location.reload();
    return;
  }
  result.textContent = reasonOf(await response.json().catch(() => null), response.status);
  result.classList.add("error");
}

async function addField(designer, form) {
  const output = form.querySelector(".new-field-result");
  const data = new FormData(form);
  const name = String(data.get("name") || "").trim();
  const type = String(data.get("type"));
  const spec = {type, label: {en: String(data.get("label_en") || "").trim() || name}};
  const zh = String(data.get("label_zh") || "").trim();
  if (zh) spec.label.zh = zh;
  if (type === "choice") {
    spec.options = String(data.get("options") || "").split("\n").map((s) => s.trim()).filter(Boolean);
  }
  output.classList.remove("error");
  output.textContent = "";
  const response = await fetch("/api/meta/customizations", {
    method: "POST", headers: csrfHeaders(),
    body: JSON.stringify({extend: designer.dataset.entity, fields: {[name]: spec}}),
  });
  if (!response.ok) {
    output.textContent = reasonOf(await response.json().catch(() => null), response.status);
    output.classList.add("error");
    return;
  }
  const card = fromTemplate(designer, "field");
  card.dataset.field = name;
  card.querySelector(".dcard-label").textContent = spec.label[document.documentElement.lang] || spec.label.en;
  card.querySelector("code").textContent = name;
  const palette = designer.querySelector("ol.palette");
  palette.prepend(card);
  activate(card);
  card.classList.add("is-new");
  output.textContent = designer.dataset.added;
  form.reset();
}

document.addEventListener("DOMContentLoaded", () => {
  const designer = document.querySelector(".designer");
  if (!designer) return;
  const result = designer.querySelector(".designer-result");
  activate(designer);

  designer.addEventListener("change", (event) => {
    const prop = event.target.dataset.prop;
    if (prop === "columns") {
      const list = event.target.closest("li.dsection").querySelector(":scope > ol.dfields");
      list.className = list.className.replace(/dcols-\d/, `dcols-${event.target.value}`);
    } else if (prop === "span") {
      const card = event.target.closest("li.dcard");
      card.className = card.className.replace(/dspan-\d/, `dspan-${event.target.value}`);
    }
    const action = event.target.dataset.action;
    if (action === "go-entity") {
      window.location.assign(`/${event.target.value}/design`);
    } else if (action === "go-form") {
      window.location.assign(`?form=${encodeURIComponent(event.target.value)}`);
    }
  });

  designer.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "save") {
      save(designer, result);
    } else if (action === "revert") {
      revert(designer, button.dataset.version, result);
    } else if (action === "add-tab") {
      const tab = fromTemplate(designer, "tab");
      tab.querySelector("ol.dsections").append(fromTemplate(designer, "section"));
      designer.querySelector("ol.dtabs").append(tab);
      activate(tab);
      tab.querySelector("input").focus();
    } else if (action === "add-section") {
      const section = fromTemplate(designer, "section");
      button.closest("li.dtab").querySelector("ol.dsections").append(section);
      activate(section);
      section.querySelector("input").focus();
    } else if (action === "unplace") {
      // A field taken off the layout goes back to the palette.
      designer.querySelector("ol.palette").prepend(button.closest("li.dcard"));
    } else if (action === "remove-section" || action === "remove-tab") {
      const item = button.closest(action === "remove-tab" ? "li.dtab" : "li.dsection");
      if (!window.confirm(designer.dataset.confirmRemove)) return;
      const palette = designer.querySelector("ol.palette");
      item.querySelectorAll("li.dcard").forEach((card) => palette.prepend(card));
      item.remove();
    }
  });

  // The preview of the layout as it stands (not saved yet) posts it with the form.
  designer.querySelector("form.preview").addEventListener("submit", (event) => {
    event.target.querySelector("input[name=document]").value = JSON.stringify(readLayout(designer));
  });

  designer.querySelector("form.new-field").addEventListener("submit", (event) => {
    event.preventDefault();
    addField(designer, event.target);
  });

  // Without a pointer: Alt+ArrowUp/Down moves a focused field card within its
  // section, Alt+ArrowLeft/Right to the previous or next section.
  designer.addEventListener("keydown", (event) => {
    const card = event.target.closest ? event.target.closest("li.dcard") : null;
    if (!card || event.target !== card || !event.altKey) return;
    const lists = [...designer.querySelectorAll("ol.dfields")];
    const list = card.parentElement;
    if (event.key === "ArrowUp" && card.previousElementSibling) {
      list.insertBefore(card, card.previousElementSibling);
    } else if (event.key === "ArrowDown" && card.nextElementSibling) {
      list.insertBefore(card.nextElementSibling, card);
    } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      const next = lists[lists.indexOf(list) + (event.key === "ArrowRight" ? 1 : -1)];
      if (!next) return;
      next.append(card);
    } else {
      return;
    }
    event.preventDefault();
    card.focus();
  });
});
