/* Human handoff in the widget: an agent's reply is shown once (the core's message ids seen are kept), the
 * replies sent while no page was open are fetched from the core, and leaving a conversation is reported. */
import { getJson } from "/static/shared/http.js";
import { KEYS, MAX_AGENT_SEEN } from "./config.js";
import { state } from "./state.js";
import { store } from "./storage.js";

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
 * the core keeps them (GET /chat/{session}/agent-messages). Each goes to `show` like a pushed message.
 * @param {function(object): void} show receives {text, agent_name, agent_message_id}
 */
export function fetchMissedAgentMessages(show) {
  const session = state.sessionId;
  if (!session || typeof window.fetch !== "function") return;
  getJson("/chat/" + encodeURIComponent(session) + "/agent-messages")
    .then(function (body) {
      if (!body || !Array.isArray(body.messages) || session !== state.sessionId) return;
      body.messages.forEach(function (m) {
        if (!m || typeof m !== "object") return;
        show({ text: m.text, agent_name: m.agent_name, agent_message_id: m.id });
      });
    })
    .catch(function () { /* offline: live replies still arrive, and the next connection asks again */ });
}

/**
 * Tells the core that the customer left a conversation: the agent of a handoff in it sees so.
 * @param {string|null} session
 */
export function leaveConversation(session) {
  if (!session || typeof window.fetch !== "function") return;
  window.fetch("/chat/" + encodeURIComponent(session) + "/left", { method: "POST", keepalive: true })
    .catch(function () { /* offline: the agent's replies then simply go unread */ });
}
