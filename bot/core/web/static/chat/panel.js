/* The widget's panel: opening (which connects), closing (focus back to the launcher) and a new conversation. */
import { KEYS } from "./config.js";
import { input, launcher, panel } from "./elements.js";
import { leaveConversation } from "./handoff.js";
import { saveHistory } from "./history.js";
import { renderAll, scrollToEnd } from "./messages.js";
import { state } from "./state.js";
import { hideTyping } from "./status.js";
import { store } from "./storage.js";
import { connect, restartConnection } from "./transport.js";

/**
 * Opens the panel and connects; remembered for the next page.
 * @param {boolean} focusInput
 */
export function openChat(focusInput) {
  panel.hidden = false;
  launcher.setAttribute("aria-expanded", "true");
  document.body.classList.add("chat-open");
  store.set(KEYS.open, true);
  connect();
  scrollToEnd(true);
  if (focusInput) input.focus();
}

/** Closes the panel and gives the focus back to the launcher. */
export function closeChat() {
  panel.hidden = true;
  launcher.setAttribute("aria-expanded", "false");
  document.body.classList.remove("chat-open");
  store.set(KEYS.open, false);
  launcher.focus();
}

/** Forgets the conversation (the core is told the customer left it) and starts a new Rasa session. */
export function newConversation() {
  leaveConversation(state.conversation);
  state.history = [];
  state.queue = [];
  state.inFlight = {};
  state.sessionId = null;
  state.conversation = null;
  store.remove(KEYS.session);
  store.remove(KEYS.conversationKey);
  store.remove(KEYS.agentSeen);
  saveHistory();
  hideTyping();
  renderAll();
  restartConnection();
  input.focus();
}
