/* The customer's messages: shown at once, then queued for the connection (transport.js). */
import { findEntry } from "./history.js";
import { addEntry, closeQuickReplies, removeEntryNode } from "./messages.js";
import { state } from "./state.js";
import { enqueue } from "./transport.js";

/**
 * Shows `display` as the customer's message and sends `message` (a button's payload, or the text itself).
 * @param {string} message
 * @param {string} display
 */
export function sendUserMessage(message, display) {
  closeQuickReplies();
  const entry = addEntry({ role: "user", text: display, payload: message === display ? null : message,
                           state: "queued" });
  enqueue(message, entry.id);
}

/**
 * Sends an unconfirmed or unsent message again, as a new message at the end.
 * @param {string} id its history entry
 */
export function resend(id) {
  const entry = findEntry(id);
  if (!entry) return;
  state.history = state.history.filter(function (e) { return e.id !== id; });
  removeEntryNode(id);
  closeQuickReplies();
  const again = addEntry({ role: "user", text: entry.text, payload: entry.payload || null, state: "queued" });
  enqueue(entry.payload || entry.text, again.id);
}
