/* The buttons inside the conversation: a bot message's quick replies, the welcome's suggestions and "send again".
 * What a click does is given once by the entry module (handleButtonsWith), so that rendering does not depend on
 * sending. */
import { el } from "/static/shared/dom.js";
import { input } from "./elements.js";
import { t } from "./texts.js";

const actions = {
  send: function () {},
  resend: function () {}
};

/**
 * What the buttons do.
 * @param {{send: function(string, string): void, resend: function(string): void}} handlers send(message, display)
 *   sends a message and shows `display` as the customer's; resend(entryId) sends an unconfirmed message again
 */
export function handleButtonsWith(handlers) {
  actions.send = handlers.send;
  actions.resend = handlers.resend;
}

function replyGroup(label, replies) {
  const group = el("div", "quick-replies");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", label);
  replies.forEach(function (reply) {
    const button = el("button", "quick-reply", reply.title);
    button.type = "button";
    button.addEventListener("click", function () {
      actions.send(reply.payload, reply.title);
      input.focus();
    });
    group.appendChild(button);
  });
  return group;
}

/**
 * Appends a bot message's quick replies: a click sends the payload and shows the title.
 * @param {{replies: {title: string, payload: string}[]}} entry
 * @param {HTMLElement} container
 */
export function renderQuickReplies(entry, container) {
  container.appendChild(replyGroup(t("quickReplies"), entry.replies));
}

/**
 * The welcome's three common questions, sent as natural language.
 * @returns {HTMLElement}
 */
export function suggestions() {
  return replyGroup(t("suggestions"), ["suggestion1", "suggestion2", "suggestion3"].map(function (key) {
    return { title: t(key), payload: t(key) };
  }));
}

/**
 * Replaces a customer message's delivery line (queued, unconfirmed or not sent, with "send again").
 * @param {{id: string, state?: string}} entry
 * @param {HTMLElement} container
 */
export function renderState(entry, container) {
  const old = container.querySelector(".msg__state");
  if (old) old.remove();
  const key = { queued: "queued", unconfirmed: "unconfirmed", unsent: "notSent" }[entry.state];
  if (!key) return;
  const line = el("p", "msg__state" + (entry.state === "queued" ? "" : " msg__state--warning"), t(key));
  if (entry.state !== "queued") {
    const again = el("button", "link-button", t("resend"));
    again.type = "button";
    again.addEventListener("click", function () { actions.resend(entry.id); });
    line.appendChild(again);
  }
  container.appendChild(line);
}
