/* The support page's chat widget (an ES module, no build step; the parts are in ./chat/, docs/web-chat.md).
 *
 * It talks to Rasa's socket.io channel (events user_uttered / bot_uttered, session_persistence), keeps the
 * conversation in localStorage, switches the page and the conversation between Lithuanian and English, and sends
 * the page language and the demo customer's token with every message. Bot texts are rendered from plain text into
 * DOM nodes (links: http/https only; **bold**; line breaks): nothing received or typed is ever parsed as HTML.
 *
 * This module only starts the widget: it wires the page's controls to the parts and renders the first state.
 */
import { byId } from "/static/shared/dom.js";
import { handleButtonsWith } from "./chat/buttons.js";
import { setupComposer } from "./chat/composer.js";
import { KEYS } from "./chat/config.js";
import { renderIdentity, setupDemo } from "./chat/demo.js";
import { launcher, panel } from "./chat/elements.js";
import { loadHistory } from "./chat/history.js";
import { setLanguage } from "./chat/language.js";
import { renderAll } from "./chat/messages.js";
import { resend, sendUserMessage } from "./chat/outgoing.js";
import { showLanguage } from "./chat/page-language.js";
import { closeChat, newConversation, openChat } from "./chat/panel.js";
import { state, storedConversation } from "./chat/state.js";
import { store } from "./chat/storage.js";
import { canSend, restartConnection } from "./chat/transport.js";

state.history = loadHistory();
handleButtonsWith({ send: sendUserMessage, resend: resend });

launcher.addEventListener("click", function () { openChat(true); });
document.querySelectorAll("[data-open-chat]").forEach(function (button) {
  button.addEventListener("click", function () { openChat(true); });
});
byId("chat-close").addEventListener("click", closeChat);
byId("chat-new").addEventListener("click", newConversation);
panel.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    event.preventDefault();
    closeChat();
  }
});
document.querySelectorAll("[data-set-lang]").forEach(function (button) {
  button.addEventListener("click", function () { setLanguage(button.dataset.setLang); });
});
setupComposer();

/** @returns {{id: string, lang: string}|null} the latest message that carried the conversation's language */
function latestLanguage() {
  for (let i = state.history.length - 1; i >= 0; i--) {
    if (state.history[i].lang) return { id: state.history[i].id, lang: state.history[i].lang };
  }
  return null;
}

// Another tab of the same site changed the conversation or the sign-in.
window.addEventListener("storage", function (event) {
  if (event.key === KEYS.history) {
    const seen = latestLanguage();
    state.history = loadHistory(true);
    // the other tab got a reply in a new language: this page follows it too (showLanguage re-renders)
    const latest = latestLanguage();
    if (!(latest && (!seen || latest.id !== seen.id) && showLanguage(latest.lang))) renderAll();
  } else if (event.key === KEYS.demo) {
    renderIdentity();
  } else if (event.key === KEYS.session) {
    const id = store.get(KEYS.session, null);
    if (id !== state.sessionId) {
      state.sessionId = id;
      state.conversation = storedConversation(id);
      restartConnection();
    }
  }
});

setupDemo();
renderIdentity();
renderAll();
if (store.get(KEYS.open, false)) openChat(false);

// For the browser tests and for support staff: the widget's state, read-only.
window.canonChat = {
  sessionId: function () { return state.sessionId; },
  conversationId: function () { return state.conversation ? state.conversation.id : state.sessionId; },
  connected: canSend
};
