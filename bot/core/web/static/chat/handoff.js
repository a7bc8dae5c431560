/* Human handoff in the widget: an agent's reply is shown once (the core's message ids seen are kept), the
 * replies sent while no page was open are fetched from the core, and leaving a conversation is reported. Both
 * calls to the core carry the conversation's key (X-Conversation-Key, from Rasa's session_confirm): without it
 * the core answers 404, so none is made. */
import { getJson } from "/static/shared/http.js";
import { KEYS, MAX_AGENT_SEEN } from "./config.js";
import { state } from "./state.js";
import { store } from "./storage.js";

/**
 * The conversation's URL in the core (its id as one path segment, dots too).
 * @param {string} conversation
 * @param {string} what "agent-messages" or "left"
 * @returns {string}
 */
function chatUrl(conversation, what) {
  return "/chat/" + encodeURIComponent(conversation).replace(/\./g, "%2E") + "/" + what;
}

function agentSeen() {
  const seen = store.get(KEYS.agentSeen, []);
  return Array.isArray(seen) ? seen.filter(function (id) { return typeof id === "number"; }) : [];
}

/**
 * True the first time an agent's reply (the core's message id) is seen in this conversation.
 * @param {number} id
 * @returns {boolean}
 */
export function firstSight(id) {
  const seen = agentSeen();
  if (seen.indexOf(id) >= 0) return false;
  seen.push(id);
  store.set(KEYS.agentSeen, seen.slice(-MAX_AGENT_SEEN));
  return true;
}

/**
 * The agents' replies sent while no page of this conversation was open: socket.io pushes only to open pages,
 * the core keeps them (GET /chat/{conversation}/agent-messages). Each goes to `show` like a pushed message.
 * @param {function(object): void} show receives {text, agent_name, agent_message_id}
 */
export function fetchMissedAgentMessages(show) {
  const conversation = state.conversation;
  if (!conversation || typeof window.fetch !== "function") return;
  getJson(chatUrl(conversation.id, "agent-messages"), { "X-Conversation-Key": conversation.key })
    .then(function (body) {
      if (!body || !Array.isArray(body.messages) || !state.conversation || conversation.id !== state.conversation.id) return;
      body.messages.forEach(function (m) {
        if (!m || typeof m !== "object") return;
        show({ text: m.text, agent_name: m.agent_name, agent_message_id: m.id });
      });
    })
    .catch(function () { /* offline: live replies still arrive, and the next connection asks again */ });
}

/**
 * Tells the core that the customer left a conversation: the agent of a handoff in it sees so.
 * @param {{id: string, key: string}|null} conversation
 */
export function leaveConversation(conversation) {
  if (!conversation || typeof window.fetch !== "function") return;
  window.fetch(chatUrl(conversation.id, "left"),
    { method: "POST", keepalive: true, headers: { "X-Conversation-Key": conversation.key } })
    .catch(function () { /* offline: the agent's replies then simply go unread */ });
}
