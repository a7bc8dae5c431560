/* The conversation kept in localStorage (the last MAX_HISTORY entries), so a reload shows it again. */
import { KEYS, MAX_HISTORY, ROLES } from "./config.js";
import { safeUrl } from "./rich-text.js";
import { state } from "./state.js";
import { store } from "./storage.js";

/**
 * A random id (16 hex digits) for a history entry or a message in flight.
 * @returns {string}
 */
export function uid() {
  if (window.crypto && window.crypto.getRandomValues) {
    const bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  return String(Date.now()) + String(Math.random()).slice(2);
}

/**
 * The stored history, only entries this widget wrote (an older version's or a damaged entry is dropped).
 * @param {boolean} [changedByOtherTab] another tab wrote it: its queued messages stay queued (that tab sends them)
 * @returns {object[]}
 */
export function loadHistory(changedByOtherTab) {
  const history = store.get(KEYS.history, []);
  if (!Array.isArray(history)) return [];
  return history.filter(function (e) {
    return e && typeof e === "object" && typeof e.id === "string" && /^[0-9a-z]{1,40}$/.test(e.id) &&
      ROLES.indexOf(e.role) >= 0 && (e.text === undefined || e.text === null || typeof e.text === "string");
  })
    .map(function (e) {
      if (e.image && !safeUrl(e.image)) e.image = null;
      if (!Array.isArray(e.replies)) e.replies = [];
      // A message that was still waiting when the page closed is not sent by a later page on its own:
      // another tab may have sent it. The customer can send it again. (Another open tab's queue is its own.)
      if (e.state === "queued" && !changedByOtherTab) e.state = "unsent";
      return e;
    });
}

/** Stores state.history (its last MAX_HISTORY entries). */
export function saveHistory() {
  if (state.history.length > MAX_HISTORY) state.history = state.history.slice(-MAX_HISTORY);
  store.set(KEYS.history, state.history);
}

/**
 * @param {string} id
 * @returns {object|null} the history entry with this id
 */
export function findEntry(id) {
  for (let i = 0; i < state.history.length; i++) if (state.history[i].id === id) return state.history[i];
  return null;
}

/** @returns {boolean} whether the customer, the assistant or an agent has said anything yet */
export function conversationStarted() {
  return state.history.some(function (e) { return e.role === "user" || e.role === "bot" || e.role === "agent"; });
}
