/* Messages from the assistant or an agent (socket.io bot_uttered, or an agent's reply fetched from the core). */
import { config } from "./config.js";
import { firstSight } from "./handoff.js";
import { addEntry, speakerLabel } from "./messages.js";
import { showLanguage } from "./page-language.js";
import { safeUrl } from "./rich-text.js";
import { announce } from "./status.js";

function textOf(value) { return typeof value === "string" ? value : ""; }

function repliesOf(list) {
  if (!Array.isArray(list)) return [];
  return list.filter(function (r) {
    return r && typeof r === "object" && typeof r.title === "string" && typeof r.payload === "string";
  }).map(function (r) { return { title: r.title, payload: r.payload }; }).slice(0, 12);
}

/**
 * The conversation's language a message carries (metadata.language, bot/rasa_ext/socketio_channel.py), or null.
 * @param {object} message
 * @returns {string|null}
 */
function languageOf(message) {
  const language = message.metadata && typeof message.metadata === "object" ? message.metadata.language : null;
  return config.languages.indexOf(language) >= 0 ? language : null;
}

/**
 * Shows a bot or agent message: text (or custom.text), quick replies or buttons, an image attachment; an agent's
 * name makes it an agent's message. Unknown fields are ignored; a message with nothing to show is dropped, and
 * an agent's reply already seen (agent_message_id) too. The page follows the conversation's language the message
 * carries (a switch typed by the customer, or the assistant answering in the language the customer writes).
 * @param {object} message
 */
export function onBotMessage(message) {
  if (!message || typeof message !== "object") return;
  const agentMessageId = typeof message.agent_message_id === "number" ? message.agent_message_id : null;
  if (agentMessageId !== null && !firstSight(agentMessageId)) return;
  const custom = message.custom && typeof message.custom === "object" ? message.custom : {};
  const text = textOf(message.text) || textOf(custom.text);
  const agent = textOf(custom.agent_name) || textOf(message.agent_name) ||
    textOf(message.metadata && message.metadata.agent_name);
  const replies = repliesOf(message.quick_replies || message.buttons || custom.quick_replies || custom.buttons);
  let image = null;
  const attachment = message.attachment;
  if (attachment && attachment.type === "image" && attachment.payload) image = safeUrl(attachment.payload.src);
  if (!text && !replies.length && !image) return;
  const language = languageOf(message);
  if (language) showLanguage(language); // first: the message and what screen readers hear are in the new language
  const entry = addEntry({
    role: agent || custom.agent ? "agent" : "bot",
    text: text,
    agent: agent.slice(0, 80) || null,
    replies: replies,
    image: image,
    lang: language
  });
  announce(speakerLabel(entry) + ": " + text + (replies.length ? " (" + replies.map(function (r) {
    return r.title;
  }).join(", ") + ")" : ""));
}
