/* The connection to Rasa's socket.io channel (the global `io` of /static/socket.io.min.js, a classic script the
 * page loads before this module): session_request / session_confirm, user_uttered with its metadata, bot_uttered,
 * reconnection, and the queue of messages waiting for a confirmed session. Nothing is ever sent twice on its own. */
import { BOT_EVENT, CONNECTING_NOTICE_MS, KEYS, USER_EVENT, config } from "./config.js";
import { demoIdentity } from "./demo.js";
import { fetchMissedAgentMessages } from "./handoff.js";
import { uid } from "./history.js";
import { onBotMessage } from "./incoming.js";
import { addNote, setEntryState } from "./messages.js";
import { state } from "./state.js";
import { hideTyping, setConnection, setStatus, showTyping } from "./status.js";
import { store } from "./storage.js";
import { currentLanguage } from "./texts.js";

/** @returns {{language: string, customer_token?: string}} the metadata (customData) of every message */
function metadata() {
  const data = { language: currentLanguage() };
  const demo = demoIdentity();
  if (demo) data.customer_token = demo.token;
  return data;
}

function socketOptions() {
  const url = new URL(config.socketUrl);
  return {
    origin: url.origin,
    options: {
      path: url.pathname.replace(/\/+$/, "") + "/socket.io",
      transports: ["websocket"], // several Rasa workers: a polling client would be spread over them
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 8000,
      timeout: 10000
    }
  };
}

/** Opens the connection (once; later calls reconnect a closed one). */
export function connect() {
  if (state.socket) {
    if (!state.socket.connected && !state.socket.active) state.socket.connect();
    return;
  }
  if (typeof window.io !== "function") {
    setStatus("noClient", "error");
    return;
  }
  const target = socketOptions();
  const socket = window.io(target.origin, target.options);
  state.socket = socket;
  setConnection("connecting");
  clearTimeout(state.connectingTimer);
  state.connectingTimer = setTimeout(function () {
    if (!state.confirmed && !state.lostConnection) setStatus("connecting");
  }, CONNECTING_NOTICE_MS);

  socket.on("connect", function () {
    state.confirmed = false;
    // Rasa resumes the session it handed out (a conversation kept from before, only with its key)
    const kept = state.conversation;
    socket.emit("session_request", { session_id: state.sessionId, conversation_key: kept ? kept.key : null });
  });
  socket.on("session_confirm", function (data) {
    const id = typeof data === "string" ? data : data && data.session_id;
    if (!id) return;
    // a conversation Rasa did not resume (kept from before without its key) starts afresh
    if (state.sessionId && id !== state.sessionId) addNote("newConversationNote");
    state.sessionId = id;
    store.set(KEYS.session, id);
    const key = data && typeof data.conversation_key === "string" ? data.conversation_key : null;
    const conversation = data && typeof data.conversation_id === "string" ? data.conversation_id : id;
    state.conversation = key ? { id: conversation, key: key } : null;
    if (key) store.set(KEYS.conversationKey, { session: id, conversation: conversation, key: key });
    else store.remove(KEYS.conversationKey);
    state.confirmed = true;
    state.everConfirmed = true;
    setConnection("online");
    clearTimeout(state.connectingTimer);
    if (state.lostConnection) setStatus("reconnected", "online", 4000);
    else setStatus("");
    state.lostConnection = false;
    flush();
    fetchMissedAgentMessages(onBotMessage);
  });
  socket.on(BOT_EVENT, onBotMessage);
  socket.on("disconnect", function (reason) {
    state.confirmed = false;
    if (reason === "io client disconnect") return; // restartConnection() or the page itself
    connectionLost();
    if (reason === "io server disconnect") socket.connect(); // the server hung up: reconnect ourselves
  });
  socket.on("connect_error", function () {
    state.confirmed = false;
    connectionLost();
    if (!socket.active) setTimeout(function () { socket.connect(); }, 3000);
  });
}

function connectionLost() {
  setConnection("offline");
  if (!state.lostConnection) {
    state.lostConnection = true;
    clearTimeout(state.connectingTimer);
    setStatus(state.everConfirmed ? "offline" : "unavailable", "offline");
  }
  abandonInFlight();
}

function abandonInFlight() {
  // Messages already emitted may or may not have reached Rasa: they are never sent again automatically.
  Object.keys(state.inFlight).forEach(function (key) {
    const item = state.inFlight[key];
    if (item.entryId) setEntryState(item.entryId, "unconfirmed");
  });
  state.inFlight = {};
  hideTyping();
}

/** A new socket.io connection (a new conversation, or another tab changed the session). */
export function restartConnection() {
  if (!state.socket) return;
  state.confirmed = false;
  setConnection("connecting");
  abandonInFlight();
  state.socket.disconnect();
  state.socket.connect();
}

/** @returns {boolean} whether a message would be sent now (connected, session confirmed) */
export function canSend() {
  return !!(state.socket && state.socket.connected && state.confirmed);
}

function flush() {
  if (!canSend()) return;
  while (state.queue.length) emit(state.queue.shift());
}

function emit(item) {
  const key = item.entryId || uid();
  state.inFlight[key] = item;
  if (item.entryId) setEntryState(item.entryId, "sent");
  showTyping();
  state.socket.emit(USER_EVENT, { message: item.message, session_id: state.sessionId, customData: metadata() },
    function () {
      if (!state.inFlight[key]) return;
      delete state.inFlight[key];
      if (item.entryId) setEntryState(item.entryId, "delivered");
      if (!Object.keys(state.inFlight).length) hideTyping();
    });
}

/**
 * Sends `message` once the session is confirmed (at once when it is).
 * @param {string} message text or a payload such as /switch_language{...}
 * @param {string|null} entryId the customer's history entry that shows it, whose state follows the delivery
 */
export function enqueue(message, entryId) {
  state.queue.push({ message: message, entryId: entryId || null });
  connect();
  flush();
}
