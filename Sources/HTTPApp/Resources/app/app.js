// Shared by the review app's pages (docs/review_app.md): the JSON API with the optional bearer
// token, a DOM builder that never parses strings as HTML, messages and time formatting.
"use strict";

const TOKEN_KEY = "faceharvest-api-token";

/** Builds an element: `attrs` are attributes (on* keys become listeners), children are nodes
 * or strings (always text, never HTML). */
function el(tag, attrs, ...children) {
  const node = document.createElementNS(
    tag === "svg" || attrs?.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml",
    tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "svg" || value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Shows a short message at the bottom of the page. */
function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.className = "show " + kind;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = ""; }, kind === "error" ? 8000 : 3000);
}

/** Asks for the API token (kept in this browser's localStorage). */
function askToken() {
  const current = localStorage.getItem(TOKEN_KEY) || "";
  const token = prompt("API token for edits and jobs (empty: none)", current);
  if (token === null) return false;
  if (token.trim()) localStorage.setItem(TOKEN_KEY, token.trim());
  else localStorage.removeItem(TOKEN_KEY);
  return true;
}

/** Calls the JSON API; answers the parsed body or throws an Error carrying the server's
 * `detail`. A 401 asks for the token once and retries. */
async function api(method, path, body, retried = false) {
  const headers = { "Accept": "application/json" };
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = { detail: text }; }
  if (response.status === 401 && !retried && askToken()) return api(method, path, body, true);
  if (!response.ok) {
    const error = new Error((parsed && parsed.detail) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return parsed;
}

/** `seconds` as m:ss.s. */
function clock(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = (seconds - minutes * 60).toFixed(1).padStart(4, "0");
  return `${minutes}:${rest}`;
}

document.getElementById("token-button")?.addEventListener("click", () => {
  if (askToken()) toast(localStorage.getItem(TOKEN_KEY) ? "token saved" : "token removed");
});
