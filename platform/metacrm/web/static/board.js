// The kanban board: dragging a card to another column asks the REST API for the
// change (a PATCH of the field, or the workflow transition between the two states);
// a refusal puts the card back and shows the engine's reason.
"use strict";

function boardRequest(board, card, target) {
  const entity = board.dataset.entity;
  const moves = JSON.parse(board.dataset.moves || "{}");
  const headers = {"Content-Type": "application/json", "If-Match": `"${card.dataset.version}"`};
  if (document.body.dataset.csrf) headers["X-CSRF-Token"] = document.body.dataset.csrf;
  if (Object.keys(moves).length) {
    const transition = (moves[card.dataset.value] || {})[target];
    if (!transition) return null;
    return fetch(`/api/${entity}/${card.dataset.id}/transitions/${transition}`,
                 {method: "POST", headers});
  }
  return fetch(`/api/${entity}/${card.dataset.id}`, {
    method: "PATCH", headers, body: JSON.stringify({[board.dataset.field]: target}),
  });
}

function reasonOf(answer, status) {
  if (!answer || !answer.errors) return `HTTP ${status}`;
  return Object.values(answer.errors).flat().join(" ");
}

document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector(".board");
  if (!board || !window.Sortable) return;
  const alert = document.querySelector(".board-error");
  board.querySelectorAll("ol.cards").forEach((list) => {
    window.Sortable.create(list, {
      group: "board", animation: 120, sort: false,
      forceFallback: true,  // pointer events: the same on a phone, a mouse and a test
      onEnd: async (event) => {
        const card = event.item;
        const target = event.to.dataset.value;
        if (event.from === event.to) return;
        alert.hidden = true;
        const request = boardRequest(board, card, target);
        const response = request ? await request : null;
        if (response && response.ok) {
          const record = await response.json();
          card.dataset.version = record.version;
          card.dataset.value = target;
          return;
        }
        event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
        const answer = response ? await response.json().catch(() => null) : null;
        alert.textContent = response ? reasonOf(answer, response.status) : board.dataset.refused;
        alert.hidden = false;
      },
    });
  });
});
