/* The conversation on screen: one <li> per history entry after the welcome, kept in step with state.history. */
import { el } from "/static/shared/dom.js";
import { renderQuickReplies, renderState, suggestions } from "./buttons.js";
import { config } from "./config.js";
import { log } from "./elements.js";
import { findEntry, saveHistory, uid } from "./history.js";
import { appendPlainText, appendRichText } from "./rich-text.js";
import { state } from "./state.js";
import { t } from "./texts.js";

/**
 * Who said it, in the current language ("Jūs", "Asistentas", "Konsultantas {name}").
 * @param {{role: string, agent?: string|null}} entry
 * @returns {string}
 */
export function speakerLabel(entry) {
  if (entry.role === "user") return t("you");
  if (entry.role === "agent") return entry.agent ? t("agentNamed", { name: entry.agent }) : t("agent");
  return t("assistant");
}

function renderEntry(entry) {
  const item = el("li", "msg msg--" + entry.role);
  item.dataset.id = entry.id;
  if (entry.state) item.dataset.state = entry.state;
  if (entry.role === "note") {
    item.textContent = entry.key ? t(entry.key, entry.vars) : entry.text;
    return item;
  }
  if (entry.role === "agent") item.appendChild(el("span", "msg__label", speakerLabel(entry)));
  else item.appendChild(el("span", "sr-only", speakerLabel(entry) + ":"));
  const bubble = el("div", "msg__bubble");
  // the language the assistant said it in (metadata.language), for screen readers; page texts around it keep theirs
  if (entry.lang && config.languages.indexOf(entry.lang) >= 0) bubble.lang = entry.lang;
  if (entry.role === "user") appendPlainText(bubble, entry.text);
  else if (entry.text) appendRichText(bubble, entry.text);
  if (entry.image) {
    const img = document.createElement("img");
    img.src = entry.image;
    img.alt = t("image");
    img.loading = "lazy";
    bubble.appendChild(img);
  }
  item.appendChild(bubble);
  if (entry.replies && entry.replies.length && !entry.repliesDone) renderQuickReplies(entry, item);
  if (entry.role === "user") renderState(entry, item);
  return item;
}

function renderWelcome() {
  const item = el("li", "msg msg--bot msg--welcome");
  item.appendChild(el("span", "sr-only", t("assistant") + ":"));
  item.appendChild(el("div", "msg__bubble", t("welcome")));
  if (!state.history.some(function (e) { return e.role === "user"; })) item.appendChild(suggestions());
  return item;
}

/** Renders the whole conversation again (start, language switch, another tab's change). */
export function renderAll() {
  const typing = log.querySelector(".typing");
  log.textContent = "";
  log.appendChild(renderWelcome());
  state.history.forEach(function (entry) { log.appendChild(renderEntry(entry)); });
  if (typing) log.appendChild(typing);
  scrollToEnd(true);
}

function appendEntryNode(entry) {
  const welcome = log.querySelector(".msg--welcome .quick-replies");
  if (welcome && entry.role === "user") welcome.remove();
  const node = renderEntry(entry);
  const typing = log.querySelector(".typing");
  log.insertBefore(node, typing);
  return node;
}

function rerenderEntry(entry) {
  const node = log.querySelector('[data-id="' + entry.id + '"]');
  if (node) node.replaceWith(renderEntry(entry));
}

/**
 * Removes an entry's node (its history entry is the caller's).
 * @param {string} id
 */
export function removeEntryNode(id) {
  const node = log.querySelector('[data-id="' + id + '"]');
  if (node) node.remove();
}

function nearEnd() { return log.scrollHeight - log.scrollTop - log.clientHeight < 120; }

/**
 * Scrolls to the latest message when the reader is near it already (or always, with `force`).
 * @param {boolean} [force]
 */
export function scrollToEnd(force) {
  if (force || nearEnd()) log.scrollTop = log.scrollHeight;
}

/**
 * Adds an entry to the history (stored) and to the screen.
 * @param {object} fields role ("user", "bot", "agent", "note"), text, and the role's other fields
 * @returns {object} the new entry, with its id
 */
export function addEntry(fields) {
  const follow = nearEnd();
  const entry = Object.assign({ id: uid(), at: Date.now() }, fields);
  state.history.push(entry);
  saveHistory();
  appendEntryNode(entry);
  scrollToEnd(follow || entry.role === "user");
  return entry;
}

/**
 * Adds a note of the widget (a text key, shown in the language of the moment it is rendered).
 * @param {string} key
 * @param {Object<string, *>} [vars]
 * @returns {object}
 */
export function addNote(key, vars) {
  return addEntry({ role: "note", key: key, vars: vars || null });
}

/**
 * Sets a customer message's delivery state (queued, sent, delivered, unconfirmed, unsent) and shows it.
 * @param {string} id
 * @param {string} value
 */
export function setEntryState(id, value) {
  const entry = findEntry(id);
  if (!entry || entry.state === value) return;
  entry.state = value;
  saveHistory();
  rerenderEntry(entry);
}

/** Removes every quick reply still offered: they answer a question the conversation has moved on from. */
export function closeQuickReplies() {
  let changed = false;
  state.history.forEach(function (entry) {
    if (entry.replies && entry.replies.length && !entry.repliesDone) {
      entry.repliesDone = true;
      changed = true;
      const group = log.querySelector('[data-id="' + entry.id + '"] .quick-replies');
      if (group) group.remove();
    }
  });
  if (changed) saveHistory();
}
