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

// The card is already in its new list; ask for the change, or put it back.
async function settle(board, card, from, to, oldIndex) {
  const alert = document.querySelector(".board-error");
  const target = to.dataset.value;
  alert.hidden = true;
  const request = boardRequest(board, card, target);
  const response = request ? await request : null;
  if (response && response.ok) {
    const record = await response.json();
    card.dataset.version = record.version;
    card.dataset.value = target;
    return;
  }
  from.insertBefore(card, from.children[oldIndex] || null);
  const answer = response ? await response.json().catch(() => null) : null;
  alert.textContent = response ? reasonOf(answer, response.status) : board.dataset.refused;
  alert.hidden = false;
  card.focus();
}

document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector(".board");
  if (!board) return;
  const lists = [...board.querySelectorAll("ol.cards")];
  if (window.Sortable) {
    lists.forEach((list) => {
      window.Sortable.create(list, {
        group: "board", animation: 120, sort: false,
        forceFallback: true,  // pointer events: the same on a phone, a mouse and a test
        onEnd: (event) => {
          if (event.from !== event.to) settle(board, event.item, event.from, event.to, event.oldIndex);
        },
      });
    });
  }
  // Without a pointer: a focused card moves to the next column with the arrow keys.
  board.addEventListener("keydown", (event) => {
    const card = event.target.closest("li.card");
    const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
    if (!card || !step) return;
    const from = card.parentElement;
    const to = lists[lists.indexOf(from) + step];
    if (!to) return;
    event.preventDefault();
    const oldIndex = [...from.children].indexOf(card);
    to.prepend(card);
    card.focus();
    settle(board, card, from, to, oldIndex);
  });
});
