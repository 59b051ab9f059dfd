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
