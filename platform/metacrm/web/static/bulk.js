// Actions on the rows ticked in a list: a transfer (previewed first, as the API's
// transfer with preview: true, then done with preview: false) and deletion (the
// API's DELETE of each record, with its version). Results and refusals are shown
// as text in the bar; nothing here decides what is allowed.
"use strict";

(() => {
  const bar = document.querySelector("form.bulk");
  if (!bar) return;
  const entity = bar.dataset.entity;
  const result = bar.querySelector("[data-result]");
  const boxes = () => [...document.querySelectorAll("table.records input[name=ids]")];
  const chosen = () => boxes().filter((box) => box.checked);

  function headers(extra = {}) {
    const found = {"Content-Type": "application/json", ...extra};
    if (document.body.dataset.csrf) found["X-CSRF-Token"] = document.body.dataset.csrf;
    return found;
  }

  function say(lines) {
    result.textContent = [].concat(lines).join("\n");
  }

  function refusal(answer, status) {
    if (!answer || !answer.errors) return `HTTP ${status}`;
    return Object.entries(answer.errors)
      .map(([key, texts]) => (key.startsWith("_") ? "" : `${key}: `) + [].concat(texts).join(" "))
      .join("\n");
  }

  async function transfer(preview) {
    const to = Number.parseInt(bar.querySelector("[name=to]").value, 10);
    const ids = chosen().map((box) => Number.parseInt(box.value, 10));
    const response = await fetch(`/api/${entity}/transfer`, {
      method: "POST", headers: headers(), body: JSON.stringify({ids, to, preview}),
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      say(refusal(answer, response.status));
      return;
    }
    if (!preview) {
      window.location.reload();
      return;
    }
    const lines = [`→ ${answer.to.name}`];
    for (const [name, part] of Object.entries(answer.records)) {
      if (part.count) lines.push(`${name}: ${part.count}`);
    }
    for (const [name, holding] of Object.entries(answer.holdings || {})) {
      if (holding.over_limit) {
        lines.push(`⚠ ${name}: ${holding.held} + ${holding.gaining} > ${holding.limit}`);
      }
    }
    say(lines);
    bar.querySelector("[data-bulk=transfer]").hidden = false;
  }

  async function remove() {
    if (!window.confirm(bar.dataset.confirmDelete)) return;
    const problems = [];
    for (const box of chosen()) {
      const response = await fetch(`/api/${entity}/${box.value}`, {
        method: "DELETE", headers: headers({"If-Match": `"${box.dataset.version}"`}),
      });
      if (!response.ok) {
        const answer = await response.json().catch(() => null);
        problems.push(`#${box.value}: ${refusal(answer, response.status)}`);
      }
    }
    if (problems.length) say(problems);
    else window.location.reload();
  }

  function count() {
    const selected = chosen().length;
    bar.querySelector("[data-selected-count]").textContent = selected ? `${selected} ✓` : "";
    bar.querySelector("[data-bulk=transfer]")?.setAttribute("hidden", "");
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-all]")) {
      boxes().forEach((box) => { box.checked = event.target.checked; });
    }
    if (event.target.matches("input[name=ids], [data-select-all]")) count();
  });
  bar.addEventListener("click", (event) => {
    const action = event.target.closest("[data-bulk]")?.dataset.bulk;
    if (!action) return;
    if (!chosen().length) {
      say(bar.querySelector("[data-selected-count]").textContent || "0");
      return;
    }
    if (action === "preview") transfer(true);
    if (action === "transfer") transfer(false);
    if (action === "delete") remove();
  });
})();
