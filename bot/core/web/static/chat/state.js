/* The widget's state, shared by its modules (one page, one widget). */
import { KEYS } from "./config.js";
import { store } from "./storage.js";

/**
 * The conversation of `session` with its key, as Rasa's session_confirm gave them (the conversation's id is
 * derived from the session's, which only this browser knows; one kept before that was the session's id itself).
 * @param {string|null} session
 * @returns {{id: string, key: string}|null}
 */
export function storedConversation(session) {
  const stored = store.get(KEYS.conversationKey, null);
  const ok = session && stored && stored.session === session && typeof stored.key === "string";
  if (!ok) return null;
  return { id: typeof stored.conversation === "string" ? stored.conversation : session, key: stored.key };
}

const storedSession = store.get(KEYS.session, null);

/** The conversation shown (history), the socket.io connection and what is waiting to be sent. */
export const state = {
  history: [],          // filled by loadHistory() (history.js) when the widget starts
  sessionId: storedSession,
  conversation: storedConversation(storedSession), // {id, key}: the key proves it ours to the core (handoff.js)
  socket: null,
  confirmed: false,
  everConfirmed: false,
  lostConnection: false,
  queue: [],            // {message, entryId}: never emitted yet
  inFlight: {},         // key -> {message, entryId}: emitted, not yet acknowledged
  answerTimer: null,
  statusTimer: null,
  connectingTimer: null
};
