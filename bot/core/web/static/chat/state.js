/* The widget's state, shared by its modules (one page, one widget). */
import { KEYS } from "./config.js";
import { store } from "./storage.js";

/**
 * The conversation key stored with `session` (Rasa's session_confirm gives it; older widgets kept none).
 * @param {string|null} session
 * @returns {string|null}
 */
export function storedConversationKey(session) {
  const stored = store.get(KEYS.conversationKey, null);
  const ok = session && stored && stored.session === session && typeof stored.key === "string";
  return ok ? stored.key : null;
}

const storedSession = store.get(KEYS.session, null);

/** The conversation shown (history), the socket.io connection and what is waiting to be sent. */
export const state = {
  history: [],          // filled by loadHistory() (history.js) when the widget starts
  sessionId: storedSession,
  conversationKey: storedConversationKey(storedSession), // proves the conversation ours to the core (handoff.js)
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
