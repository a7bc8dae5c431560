/* What the widget tells about itself: the status line, the connection state on the panel, the typing indicator
 * and the screen readers' live region. */
import { el } from "/static/shared/dom.js";
import { ANSWER_TIMEOUT_MS } from "./config.js";
import { announcer, log, panel, statusLine } from "./elements.js";
import { addNote, scrollToEnd } from "./messages.js";
import { state } from "./state.js";
import { t } from "./texts.js";

/**
 * Has screen readers read `text` (the polite live region keeps the last three).
 * @param {string} text
 */
export function announce(text) {
  const line = el("p", null, text);
  announcer.appendChild(line);
  while (announcer.childNodes.length > 3) announcer.removeChild(announcer.firstChild);
}

/** Shows the typing indicator until hideTyping(), at most ANSWER_TIMEOUT_MS (then a "no answer" note). */
export function showTyping() {
  if (!log.querySelector(".typing")) {
    const item = el("li", "typing");
    const label = el("span", "sr-only", t("typing"));
    label.dataset.i18n = "typing"; // the indicator outlives a language switch's re-rendering
    item.appendChild(label);
    for (let i = 0; i < 3; i++) {
      const dot = el("span", "typing__dot");
      dot.setAttribute("aria-hidden", "true");
      item.appendChild(dot);
    }
    log.appendChild(item);
    scrollToEnd(false);
  }
  clearTimeout(state.answerTimer);
  state.answerTimer = setTimeout(function () {
    hideTyping();
    state.inFlight = {};
    addNote("noAnswer");
  }, ANSWER_TIMEOUT_MS);
}

/** Removes the typing indicator. */
export function hideTyping() {
  clearTimeout(state.answerTimer);
  const typing = log.querySelector(".typing");
  if (typing) typing.remove();
}

/**
 * The status line (role="status"): a text key, re-translated on a language switch; "" clears it.
 * @param {string} key
 * @param {string} [kind] data-state for the style: online, offline, error
 * @param {number} [clearAfterMs]
 */
export function setStatus(key, kind, clearAfterMs) {
  clearTimeout(state.statusTimer);
  statusLine.textContent = key ? t(key) : "";
  statusLine.dataset.key = key || "";
  statusLine.dataset.state = kind || "";
  if (clearAfterMs) state.statusTimer = setTimeout(function () { setStatus(""); }, clearAfterMs);
}

/**
 * The connection's state on the panel (data-connection).
 * @param {"connecting"|"online"|"offline"} value
 */
export function setConnection(value) {
  panel.dataset.connection = value;
}
