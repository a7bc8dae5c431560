/* The agent console (bot/core/console): live queue and transcript over Server-Sent Events, and the claim, reply
 * and close forms sent with fetch and the session's CSRF token. An ES module: the DOM and fetch helpers are
 * shared with the support page (bot/core/static/shared/, served at /static/shared/ by bot/core/shared_assets.py).
 *
 * Every piece of text that came from a customer, the assistant or an agent goes into the page through
 * textContent or an attribute, never through HTML parsing.
 *
 * The console's own words come from the page, in the agent's language: <body data-texts> holds every console
 * text (bot/core/console/texts) as JSON, data that the Content-Security-Policy lets through. */
import { byId, el, showText } from "/static/shared/dom.js";
import { postJson } from "/static/shared/http.js";

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
const page = document.body.getAttribute("data-page");
const TEXTS = JSON.parse(document.body.getAttribute("data-texts") || "{}");

// The console text `key` with its {placeholders} filled from `values` (the key itself when it is missing).
function t(key, values) {
  const template = Object.prototype.hasOwnProperty.call(TEXTS, key) ? TEXTS[key] : key;
  return template.replace(/\{(\w+)\}/g, function (whole, name) {
    return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
  });
}

// A text named by a word from the data (a reason, a status, a sender), else `fallback`.
function named(prefix, word, fallback) {
  const key = prefix + word;
  return Object.prototype.hasOwnProperty.call(TEXTS, key) ? TEXTS[key] : (fallback || word);
}

// ------------------------------------------------------------------ helpers

function ago(iso) {
  if (!iso) return "";
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return t("ago_just_now");
  if (seconds < 3600) return t("ago_minutes", { minutes: Math.floor(seconds / 60) });
  if (seconds < 86400) {
    return t("ago_hours", { hours: Math.floor(seconds / 3600), minutes: Math.floor((seconds % 3600) / 60) });
  }
  return t("ago_days", { days: Math.floor(seconds / 86400) });
}

function clock(iso) {
  const moment = new Date(iso);
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };  // 14:05 in either language
  return isNaN(moment) ? "" : moment.toLocaleTimeString(document.documentElement.lang || [], options);
}

function since(iso) {
  const node = el("time", null, ago(iso));
  node.setAttribute("datetime", iso || "");
  node.setAttribute("data-since", iso || "");
  return node;
}

function refreshTimes() {
  document.querySelectorAll("time[data-since]").forEach(function (node) {
    node.textContent = ago(node.getAttribute("data-since"));
  });
}

function localTimes(root) {
  root.querySelectorAll(".msg time[datetime]").forEach(function (node) {
    node.textContent = clock(node.getAttribute("datetime"));
  });
}

function liveStatus(text) {
  showText(byId("live-status"), text);
}

function notice(text) {
  showText(byId("notice"), text);
}

// A console action: JSON with the CSRF token; signed out (401) goes to the sign-in page.
function post(url, body) {
  return postJson(url, body, { "X-CSRF-Token": csrf }).then(function (result) {
    if (result.status === 401) {
      window.location.assign("/agent/sign-in");
      return { status: 401, data: {} };
    }
    return { status: result.status, data: result.data || {} };
  });
}

function problem(result, fallback) {
  const detail = result.data && result.data.detail;
  return (detail && detail.message) || fallback;
}

// A stream that survives a core restart: EventSource retries network errors itself; an answer that closes it
// (e.g. a 502 while the core restarts) gets a fresh EventSource a few seconds later.
function stream(url, handlers) {
  let source = null;
  function open(target) {
    source = new EventSource(target);
    Object.keys(handlers).forEach(function (name) {
      source.addEventListener(name, function (event) {
        liveStatus("");
        handlers[name](JSON.parse(event.data), event);
      });
    });
    source.addEventListener("signed-out", function () { window.location.assign("/agent/sign-in"); });
    source.onopen = function () { liveStatus(""); };
    source.onerror = function () {
      liveStatus(t("script_reconnecting"));
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(function () { open(typeof url === "function" ? url() : url); }, 3000);
      }
    };
  }
  open(typeof url === "function" ? url() : url);
}

// ------------------------------------------------------------------ the queue

function queueItem(e) {
  const item = el("li", "queue-item");
  item.setAttribute("data-escalation-id", String(e.id));
  item.setAttribute("data-status", e.status);
  const link = el("a", "queue-link", "#" + e.id + " · " + named("reason_", e.reason, e.reason_title));
  link.href = "/agent/escalations/" + encodeURIComponent(e.id);
  item.appendChild(link);
  item.appendChild(document.createTextNode(" "));
  const lang = el("span", "badge lang", String(e.language).toUpperCase());
  lang.title = named("language_name_", e.language, e.language_name);
  lang.setAttribute("data-language", e.language);
  item.appendChild(lang);
  item.appendChild(document.createTextNode(" "));
  item.appendChild(el("span", "badge channel", e.channel));
  item.appendChild(document.createTextNode(" "));
  item.appendChild(e.customer_verified
    ? el("span", "customer verified", t("customer_verified", { customer: e.customer_id }))
    : el("span", "customer anonymous", t("customer_anonymous")));
  item.appendChild(document.createTextNode(" "));
  const detail = el("span", "detail", (e.status === "closed"
    ? t("queue_closed_by", { name: e.claimed_by || "?" }) : t("queue_waiting_since")) + " ");
  detail.appendChild(since(e.status === "closed" ? e.closed_at : e.created_at));
  item.appendChild(detail);
  if (e.status === "closed") {
    item.appendChild(el("span", "note", e.resolution_note || ""));
  } else if (e.status === "claimed") {
    item.appendChild(el("span", "claimed", e.claimed_by_me ? t("queue_claimed_by_me")
      : t("queue_claimed_by", { name: e.claimed_by })));
  }
  if (e.out_of_hours) item.appendChild(el("span", "badge hours", t("out_of_hours")));
  return item;
}

function fillList(id, items) {
  const list = byId(id);
  if (!list) return;
  const fresh = document.createDocumentFragment();
  items.forEach(function (e) { fresh.appendChild(queueItem(e)); });
  list.replaceChildren(fresh);
  const empty = document.querySelector('[data-empty-for="' + id + '"]');
  if (empty) empty.hidden = items.length > 0;
}

function showQueue(queue) {
  fillList("queue-waiting", queue.waiting);
  fillList("queue-mine", queue.mine);
  fillList("queue-others", queue.others);
  fillList("queue-closed", queue.closed);
  ["waiting", "mine", "others"].forEach(function (name) {
    const count = byId(name + "-count");
    if (count) count.textContent = String(queue[name].length);
  });
  document.title = (queue.waiting.length ? "(" + queue.waiting.length + ") " : "") + t("queue_title") + " · " +
    t("site_name");
}

// ------------------------------------------------------------------ one escalation

function messageItem(m) {
  const item = el("li", "msg msg-" + m.sender);
  item.setAttribute("data-sender", m.sender);
  item.setAttribute("data-message-id", String(m.id));
  item.appendChild(el("span", "sender", m.sender === "agent" ? (m.agent_name || t("sender_agent"))
    : named("sender_", m.sender)));
  item.appendChild(document.createTextNode(" "));
  const time = el("time", null, clock(m.created_at));
  time.setAttribute("datetime", m.created_at || "");
  time.title = m.created_at || "";
  item.appendChild(time);
  if (m.sender === "agent") {
    item.appendChild(document.createTextNode(" "));
    item.appendChild(el("span", "delivery", m.delivered ? t("delivery_done") : t("delivery_pending")));
  }
  item.appendChild(el("p", "text", m.text));
  return item;
}

function lastMessageId(list) {
  let last = 0;
  list.querySelectorAll("[data-message-id]").forEach(function (node) {
    last = Math.max(last, parseInt(node.getAttribute("data-message-id"), 10) || 0);
  });
  return last;
}

function addMessage(list, m) {
  const id = parseInt(m.id, 10);
  if (list.querySelector('[data-message-id="' + String(id) + '"]')) return;
  // New lines arrive from the stream and from our own replies: keep them in the order the core stored them.
  const later = Array.prototype.find.call(list.children, function (node) {
    return (parseInt(node.getAttribute("data-message-id"), 10) || 0) > id;
  });
  list.insertBefore(messageItem(m), later || null);
  const main = document.scrollingElement || document.documentElement;
  main.scrollTop = main.scrollHeight;
}

function showEscalation(e) {
  const box = byId("escalation");
  box.setAttribute("data-status", e.status);
  const status = byId("status");
  status.textContent = named("status_", e.status);
  status.className = "status status-" + e.status;
  status.setAttribute("data-status", e.status);
  byId("claimed-by").textContent = e.claimed_by || t("nobody_yet");
  byId("claim-form").hidden = e.status !== "waiting";
  byId("owner-actions").hidden = !e.can_reply;
  byId("resolution").hidden = e.status !== "closed";
  byId("resolution-note").textContent = e.resolution_note || "";
  if (e.undelivered) {
    document.querySelectorAll('#transcript [data-sender="agent"]').forEach(function (node) {
      const id = parseInt(node.getAttribute("data-message-id"), 10);
      const mark = node.querySelector(".delivery");
      if (mark) mark.textContent = t(e.undelivered.indexOf(id) >= 0 ? "delivery_pending" : "delivery_done");
    });
  }
}

const NO_ANSWER = t("escalation_no_answer");

// A form of the escalation page (claim, reply, close) sent as a console action: the button is disabled while
// it is on its way; a blank `field` is not sent, else its text goes in the body as `key`. The `success` status
// clears the notice and calls `done(data, field)`; any other answer but 401 shows the core's message (else
// `failed`); no answer at all shows `offline`.
function submitForm(formId, action) {
  byId(formId).addEventListener("submit", function (event) {
    event.preventDefault();
    const field = action.field ? byId(action.field) : null;
    const button = byId(action.button);
    if (field && !field.value.trim()) return;
    button.disabled = true;
    const body = field ? { [action.key]: field.value } : undefined;
    post(action.url, body).then(function (result) {
      button.disabled = false;
      if (result.status === action.success) {
        notice("");
        action.done(result.data, field);
      } else if (result.status !== 401) {
        notice(problem(result, action.failed));
      }
    }, function () { button.disabled = false; notice(action.offline); });
  });
}

function escalationPage() {
  const box = byId("escalation");
  const id = box.getAttribute("data-escalation-id");
  const list = byId("transcript");
  const base = "/agent/escalations/" + encodeURIComponent(id);
  localTimes(list);

  submitForm("claim-form", {
    button: "claim", url: base + "/claim", success: 200,
    failed: t("escalation_claim_failed"), offline: NO_ANSWER,
    done: function (data) { showEscalation(Object.assign({}, data.escalation, { can_reply: true })); }
  });
  submitForm("reply-form", {
    button: "reply-send", field: "reply-text", key: "text", url: base + "/messages", success: 201,
    failed: t("escalation_reply_failed"), offline: t("escalation_reply_offline"),
    done: function (data, field) { field.value = ""; addMessage(list, data.message); }
  });
  submitForm("close-form", {
    button: "close", field: "close-note", key: "resolution_note", url: base + "/close", success: 200,
    failed: t("escalation_close_failed"), offline: NO_ANSWER,
    done: function (data) { showEscalation(Object.assign({}, data.escalation, { can_reply: false })); }
  });

  stream(function () { return base + "/events?after=" + lastMessageId(list); }, {
    message: function (m) {
      const old = list.querySelector('[data-message-id="' + String(parseInt(m.id, 10)) + '"]');
      if (old) old.replaceWith(messageItem(m)); else addMessage(list, m);
    },
    escalation: showEscalation
  });
}

// ------------------------------------------------------------------ start

// The language switch comes back to this page (a page that did not say where to: its own address).
const languageNext = byId("language-next");
if (languageNext && !languageNext.value) languageNext.value = window.location.pathname + window.location.search;

if (page === "queue") {
  stream("/agent/events", { queue: showQueue });
} else if (page === "escalation") {
  escalationPage();
}
window.setInterval(refreshTimes, 15000);
