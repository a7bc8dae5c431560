/* The widget's state, shared by its modules (one page, one widget). */
import { KEYS } from "./config.js";
import { store } from "./storage.js";

/** The conversation shown (history), the socket.io connection and what is waiting to be sent. */
export const state = {
  history: [],          // filled by loadHistory() (history.js) when the widget starts
  sessionId: store.get(KEYS.session, null),
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
