/* The widget's configuration (the page's <script id="chat-config" type="application/json">, rendered by
 * bot/core/web/router.py) and its fixed numbers and names. */

/** The page's configuration: language, languages, socketUrl, demoMode, maxMessageLength, texts ({lt, en}). */
export const config = JSON.parse(document.getElementById("chat-config").textContent);

/** localStorage keys. */
export const KEYS = {
  session: "canonChat.session",
  conversationKey: "canonChat.conversationKey", // {session, conversation, key}: as Rasa confirmed that session
  history: "canonChat.history",
  agentSeen: "canonChat.agentSeen",
  open: "canonChat.open",
  demo: "canonChat.demo"
};

/** History entries kept (the oldest are dropped). */
export const MAX_HISTORY = 150;
/** Agents' reply ids remembered as shown. */
export const MAX_AGENT_SEEN = 200;
/** Who an entry is from: the customer, the assistant, an agent, or a note of the widget. */
export const ROLES = ["user", "bot", "agent", "note"];
/** The typing indicator gives up after this long without Rasa's acknowledgement. */
export const ANSWER_TIMEOUT_MS = 60000;
/** "Connecting…" appears only when connecting takes longer than this. */
export const CONNECTING_NOTICE_MS = 1500;

/** Rasa's socket.io events. */
export const USER_EVENT = "user_uttered";
export const BOT_EVENT = "bot_uttered";
