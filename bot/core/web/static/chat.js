/* The support page's chat widget: talks to Rasa's socket.io channel (events user_uttered / bot_uttered,
 * session_persistence), keeps the conversation in localStorage, switches the page and the conversation between
 * Lithuanian and English, and sends the page language and the demo customer's token with every message.
 *
 * Bot texts are rendered from plain text into DOM nodes (links: http/https only; **bold**; line breaks):
 * nothing received or typed is ever parsed as HTML.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var KEYS = {
    session: "canonChat.session",
    history: "canonChat.history",
    agentSeen: "canonChat.agentSeen",
    open: "canonChat.open",
    demo: "canonChat.demo"
  };
  var MAX_HISTORY = 150;
  var ROLES = ["user", "bot", "agent", "note"];
  var ANSWER_TIMEOUT_MS = 60000;
  var CONNECTING_NOTICE_MS = 1500;
  var USER_EVENT = "user_uttered";
  var BOT_EVENT = "bot_uttered";

  // ------------------------------------------------------------------ storage (falls back to memory)
  var memory = {};
  var store = {
    get: function (key, fallback) {
      var raw;
      try { raw = window.localStorage.getItem(key); } catch (e) { raw = memory[key]; }
      if (raw === null || raw === undefined) return fallback;
      try { return JSON.parse(raw); } catch (e) { return fallback; }
    },
    set: function (key, value) {
      var raw = JSON.stringify(value);
      try { window.localStorage.setItem(key, raw); } catch (e) { memory[key] = raw; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
      delete memory[key];
    }
  };

  // ------------------------------------------------------------------ texts
  var lang = config.language;

  function t(key, vars) {
    var table = config.texts[lang] || {};
    var text = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : (config.texts.lt[key] || key);
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
      });
    }
    return text;
  }

  // ------------------------------------------------------------------ elements
  function $(id) { return document.getElementById(id); }
  var launcher = $("chat-launcher");
  var panel = $("chat-panel");
  var log = $("chat-log");
  var form = $("chat-form");
  var input = $("chat-input");
  var formNote = $("chat-form-note");
  var statusLine = $("chat-status");
  var announcer = $("chat-announcer");
  var identity = $("chat-identity");

  // ------------------------------------------------------------------ state
  var state = {
    history: loadHistory(),
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

  function uid() {
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(8);
      window.crypto.getRandomValues(bytes);
      return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    }
    return String(Date.now()) + String(Math.random()).slice(2);
  }

  function loadHistory(changedByOtherTab) {
    var history = store.get(KEYS.history, []);
    if (!Array.isArray(history)) return [];
    // Only entries this widget wrote (an older version's or a damaged entry is dropped, not rendered).
    return history.filter(function (e) {
      return e && typeof e === "object" && typeof e.id === "string" && /^[0-9a-z]{1,40}$/.test(e.id) &&
        ROLES.indexOf(e.role) >= 0 && (e.text === undefined || e.text === null || typeof e.text === "string");
    })
      .map(function (e) {
        if (e.image && !safeUrl(e.image)) e.image = null;
        if (!Array.isArray(e.replies)) e.replies = [];
        // A message that was still waiting when the page closed is not sent by a later page on its own:
        // another tab may have sent it. The customer can send it again. (Another open tab's queue is its own.)
        if (e.state === "queued" && !changedByOtherTab) e.state = "unsent";
        return e;
      });
  }

  function saveHistory() {
    if (state.history.length > MAX_HISTORY) state.history = state.history.slice(-MAX_HISTORY);
    store.set(KEYS.history, state.history);
  }

  function findEntry(id) {
    for (var i = 0; i < state.history.length; i++) if (state.history[i].id === id) return state.history[i];
    return null;
  }

  // ------------------------------------------------------------------ rich text (never innerHTML)
  var INLINE = /\[([^\]\n]{1,300})\]\(([^()\s]{1,2000})\)|\*\*(?!\s)([^\n]+?)\*\*|(https?:\/\/[^\s<>"]+)/g;

  function safeUrl(raw) {
    try {
      var url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function makeLink(href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    a.textContent = label;
    var hint = document.createElement("span");
    hint.className = "sr-only";
    hint.textContent = " " + t("opensNewWindow");
    a.appendChild(hint);
    return a;
  }

  function trimUrl(url) {
    // Sentence punctuation after a bare URL is not part of it; a ")" is when the URL opened one.
    while (/[.,;:!?'’”»\]}>)]$/.test(url)) {
      if (url.slice(-1) === ")" && (url.split("(").length - 1) >= (url.split(")").length - 1)) break;
      url = url.slice(0, -1);
    }
    return url;
  }

  function appendInline(parent, text) {
    var re = new RegExp(INLINE.source, "g");
    var last = 0;
    var match;
    while ((match = re.exec(text)) !== null) {
      var start = match.index;
      var end = re.lastIndex;
      var node = null;
      if (match[1] !== undefined) {
        var href = safeUrl(match[2]);
        node = href ? makeLink(href, match[1]) : null;
      } else if (match[3] !== undefined) {
        node = document.createElement("strong");
        appendInline(node, match[3]);
      } else {
        var url = trimUrl(match[4]);
        end = start + url.length;
        re.lastIndex = end;
        var safe = safeUrl(url);
        node = safe ? makeLink(safe, url) : null;
      }
      if (!node) continue; // left as text
      if (start > last) parent.appendChild(document.createTextNode(text.slice(last, start)));
      parent.appendChild(node);
      last = end;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function appendRichText(parent, text) {
    String(text).split(/\r\n|\r|\n/).forEach(function (line, index) {
      if (index) parent.appendChild(document.createElement("br"));
      appendInline(parent, /^- /.test(line) ? "• " + line.slice(2) : line);
    });
  }

  function appendPlainText(parent, text) {
    String(text).split(/\r\n|\r|\n/).forEach(function (line, index) {
      if (index) parent.appendChild(document.createElement("br"));
      parent.appendChild(document.createTextNode(line));
    });
  }

  // ------------------------------------------------------------------ rendering
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function speakerLabel(entry) {
    if (entry.role === "user") return t("you");
    if (entry.role === "agent") return entry.agent ? t("agentNamed", { name: entry.agent }) : t("agent");
    return t("assistant");
  }

  function renderQuickReplies(entry, container) {
    var group = el("div", "quick-replies");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("quickReplies"));
    entry.replies.forEach(function (reply) {
      var button = el("button", "quick-reply", reply.title);
      button.type = "button";
      button.addEventListener("click", function () {
        sendUserMessage(reply.payload, reply.title);
        input.focus();
      });
      group.appendChild(button);
    });
    container.appendChild(group);
  }

  function renderState(entry, container) {
    var old = container.querySelector(".msg__state");
    if (old) old.remove();
    var key = { queued: "queued", unconfirmed: "unconfirmed", unsent: "notSent" }[entry.state];
    if (!key) return;
    var line = el("p", "msg__state" + (entry.state === "queued" ? "" : " msg__state--warning"), t(key));
    if (entry.state !== "queued") {
      var again = el("button", "link-button", t("resend"));
      again.type = "button";
      again.addEventListener("click", function () { resend(entry.id); });
      line.appendChild(again);
    }
    container.appendChild(line);
  }

  function renderEntry(entry) {
    var item = el("li", "msg msg--" + entry.role);
    item.dataset.id = entry.id;
    if (entry.state) item.dataset.state = entry.state;
    if (entry.role === "note") {
      item.textContent = entry.key ? t(entry.key, entry.vars) : entry.text;
      return item;
    }
    if (entry.role === "agent") item.appendChild(el("span", "msg__label", speakerLabel(entry)));
    else item.appendChild(el("span", "sr-only", speakerLabel(entry) + ":"));
    var bubble = el("div", "msg__bubble");
    if (entry.role === "user") appendPlainText(bubble, entry.text);
    else if (entry.text) appendRichText(bubble, entry.text);
    if (entry.image) {
      var img = document.createElement("img");
      img.src = entry.image;
      img.alt = t("image");
      img.loading = "lazy";
      bubble.appendChild(img);
    }
    item.appendChild(bubble);
    if (entry.replies && entry.replies.length && !entry.repliesDone) renderQuickReplies(entry, item);
    if (entry.role === "user") renderState(entry, item);
    return item;
  }

  function renderWelcome() {
    var item = el("li", "msg msg--bot msg--welcome");
    item.appendChild(el("span", "sr-only", t("assistant") + ":"));
    item.appendChild(el("div", "msg__bubble", t("welcome")));
    if (!state.history.some(function (e) { return e.role === "user"; })) {
      var group = el("div", "quick-replies");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", t("suggestions"));
      ["suggestion1", "suggestion2", "suggestion3"].forEach(function (key) {
        var button = el("button", "quick-reply", t(key));
        button.type = "button";
        button.addEventListener("click", function () {
          var text = t(key);
          sendUserMessage(text, text);
          input.focus();
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    return item;
  }

  function renderAll() {
    var typing = log.querySelector(".typing");
    log.textContent = "";
    log.appendChild(renderWelcome());
    state.history.forEach(function (entry) { log.appendChild(renderEntry(entry)); });
    if (typing) log.appendChild(typing);
    scrollToEnd(true);
  }

  function appendEntryNode(entry) {
    var welcome = log.querySelector(".msg--welcome .quick-replies");
    if (welcome && entry.role === "user") welcome.remove();
    var node = renderEntry(entry);
    var typing = log.querySelector(".typing");
    log.insertBefore(node, typing);
    return node;
  }

  function rerenderEntry(entry) {
    var node = log.querySelector('[data-id="' + entry.id + '"]');
    if (node) node.replaceWith(renderEntry(entry));
  }

  function nearEnd() { return log.scrollHeight - log.scrollTop - log.clientHeight < 120; }

  function scrollToEnd(force) {
    if (force || nearEnd()) log.scrollTop = log.scrollHeight;
  }

  function addEntry(fields) {
    var follow = nearEnd();
    var entry = Object.assign({ id: uid(), at: Date.now() }, fields);
    state.history.push(entry);
    saveHistory();
    appendEntryNode(entry);
    scrollToEnd(follow || entry.role === "user");
    return entry;
  }

  function addNote(key, vars) {
    return addEntry({ role: "note", key: key, vars: vars || null });
  }

  function setEntryState(id, value) {
    var entry = findEntry(id);
    if (!entry || entry.state === value) return;
    entry.state = value;
    saveHistory();
    rerenderEntry(entry);
  }

  function closeQuickReplies() {
    var changed = false;
    state.history.forEach(function (entry) {
      if (entry.replies && entry.replies.length && !entry.repliesDone) {
        entry.repliesDone = true;
        changed = true;
        var group = log.querySelector('[data-id="' + entry.id + '"] .quick-replies');
        if (group) group.remove();
      }
    });
    if (changed) saveHistory();
  }

  function announce(text) {
    var line = el("p", null, text);
    announcer.appendChild(line);
    while (announcer.childNodes.length > 3) announcer.removeChild(announcer.firstChild);
  }

  function showTyping() {
    if (!log.querySelector(".typing")) {
      var item = el("li", "typing");
      item.appendChild(el("span", "sr-only", t("typing")));
      for (var i = 0; i < 3; i++) {
        var dot = el("span", "typing__dot");
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

  function hideTyping() {
    clearTimeout(state.answerTimer);
    var typing = log.querySelector(".typing");
    if (typing) typing.remove();
  }

  function setStatus(key, kind, clearAfterMs) {
    clearTimeout(state.statusTimer);
    statusLine.textContent = key ? t(key) : "";
    statusLine.dataset.key = key || "";
    statusLine.dataset.state = kind || "";
    if (clearAfterMs) state.statusTimer = setTimeout(function () { setStatus(""); }, clearAfterMs);
  }

  // ------------------------------------------------------------------ demo sign-in
  function demoIdentity() {
    var demo = store.get(KEYS.demo, null);
    if (!demo || typeof demo.token !== "string" || typeof demo.id !== "string") return null;
    if (demo.expiresAt && Date.parse(demo.expiresAt) <= Date.now()) {
      store.remove(KEYS.demo);
      setTimeout(function () { // after the caller is done: the page shows that the sign-in ended
        renderIdentity();
        addNote("demoExpired");
      }, 0);
      return null;
    }
    return demo;
  }

  function renderIdentity() {
    var demo = config.demoMode ? demoIdentity() : null;
    var signedIn = $("demo-signed-in");
    var demoForm = $("demo-form");
    if (signedIn && demoForm) {
      signedIn.hidden = !demo;
      demoForm.hidden = !!demo;
      $("demo-identity").textContent = demo ? t("demoSignedInAs", { id: demo.id }) : "";
    }
    identity.hidden = !demo;
    identity.textContent = demo ? t("signedInBadge", { id: demo.id }) : "";
  }

  function setupDemo() {
    if (!config.demoMode) return;
    var demoForm = $("demo-form");
    var error = $("demo-error");
    var button = $("demo-sign-in");
    demoForm.addEventListener("submit", function (event) {
      event.preventDefault();
      error.textContent = "";
      button.disabled = true;
      var customerId = $("demo-customer").value;
      fetch("/demo/sign-in", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ customer_id: customerId }),
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (body) {
        store.set(KEYS.demo, { id: body.customer_id, token: body.customer_token, expiresAt: body.expires_at });
        renderIdentity();
        addNote("signedInNote", { id: body.customer_id });
        $("demo-sign-out").focus();
      }).catch(function () {
        error.textContent = t("demoSignInFailed");
      }).then(function () {
        button.disabled = false;
      });
    });
    $("demo-sign-out").addEventListener("click", function () {
      var demo = demoIdentity();
      store.remove(KEYS.demo);
      renderIdentity();
      if (demo) addNote("signedOutNote");
      $("demo-customer").focus();
    });
  }

  function metadata() {
    var data = { language: lang };
    var demo = config.demoMode ? demoIdentity() : null;
    if (demo) data.customer_token = demo.token;
    return data;
  }

  // ------------------------------------------------------------------ the connection
  function socketOptions() {
    var url = new URL(config.socketUrl);
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

  function connect() {
    if (state.socket) {
      if (!state.socket.connected && !state.socket.active) state.socket.connect();
      return;
    }
    if (typeof window.io !== "function") {
      setStatus("noClient", "error");
      return;
    }
    var target = socketOptions();
    var socket = window.io(target.origin, target.options);
    state.socket = socket;
    setConnection("connecting");
    clearTimeout(state.connectingTimer);
    state.connectingTimer = setTimeout(function () {
      if (!state.confirmed && !state.lostConnection) setStatus("connecting");
    }, CONNECTING_NOTICE_MS);

    socket.on("connect", function () {
      state.confirmed = false;
      socket.emit("session_request", { session_id: state.sessionId });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : data && data.session_id;
      if (!id) return;
      state.sessionId = id;
      store.set(KEYS.session, id);
      state.confirmed = true;
      state.everConfirmed = true;
      setConnection("online");
      clearTimeout(state.connectingTimer);
      if (state.lostConnection) setStatus("reconnected", "online", 4000);
      else setStatus("");
      state.lostConnection = false;
      flush();
      fetchMissedAgentMessages();
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
      var item = state.inFlight[key];
      if (item.entryId) setEntryState(item.entryId, "unconfirmed");
    });
    state.inFlight = {};
    hideTyping();
  }

  /** A new socket.io connection (a new conversation, or another tab changed the session). */
  function restartConnection() {
    if (!state.socket) return;
    state.confirmed = false;
    setConnection("connecting");
    abandonInFlight();
    state.socket.disconnect();
    state.socket.connect();
  }

  /** The connection's state on the panel (data-connection): connecting, online or offline. */
  function setConnection(value) {
    panel.dataset.connection = value;
  }

  function canSend() {
    return !!(state.socket && state.socket.connected && state.confirmed);
  }

  function flush() {
    if (!canSend()) return;
    while (state.queue.length) emit(state.queue.shift());
  }

  function emit(item) {
    var key = item.entryId || uid();
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

  function enqueue(message, entryId) {
    state.queue.push({ message: message, entryId: entryId || null });
    connect();
    flush();
  }

  /** Show `display` as the customer's message and send `message` (a button's payload, or the text itself). */
  function sendUserMessage(message, display) {
    closeQuickReplies();
    var entry = addEntry({ role: "user", text: display, payload: message === display ? null : message,
                           state: "queued" });
    enqueue(message, entry.id);
  }

  function resend(id) {
    var entry = findEntry(id);
    if (!entry) return;
    state.history = state.history.filter(function (e) { return e.id !== id; });
    var node = log.querySelector('[data-id="' + id + '"]');
    if (node) node.remove();
    closeQuickReplies();
    var again = addEntry({ role: "user", text: entry.text, payload: entry.payload || null, state: "queued" });
    enqueue(entry.payload || entry.text, again.id);
  }

  // ------------------------------------------------------------------ bot messages
  function textOf(value) { return typeof value === "string" ? value : ""; }

  function repliesOf(list) {
    if (!Array.isArray(list)) return [];
    return list.filter(function (r) {
      return r && typeof r === "object" && typeof r.title === "string" && typeof r.payload === "string";
    }).map(function (r) { return { title: r.title, payload: r.payload }; }).slice(0, 12);
  }

  // ------------------------------------------------------------------ agents' replies (human handoff)
  var MAX_AGENT_SEEN = 200;

  function agentSeen() {
    var seen = store.get(KEYS.agentSeen, []);
    return Array.isArray(seen) ? seen.filter(function (id) { return typeof id === "number"; }) : [];
  }

  /** True the first time an agent's reply (the core's message id) is seen in this conversation. */
  function firstSight(id) {
    var seen = agentSeen();
    if (seen.indexOf(id) >= 0) return false;
    seen.push(id);
    store.set(KEYS.agentSeen, seen.slice(-MAX_AGENT_SEEN));
    return true;
  }

  /** The agents' replies sent while no page of this conversation was open: socket.io pushes only to open pages,
   * the core keeps them (GET /chat/{session}/agent-messages). Each is shown once. */
  function fetchMissedAgentMessages() {
    var session = state.sessionId;
    if (!session || typeof window.fetch !== "function") return;
    window.fetch("/chat/" + encodeURIComponent(session) + "/agent-messages", {
      headers: { Accept: "application/json" }, cache: "no-store"
    })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (body) {
        if (!body || !Array.isArray(body.messages) || session !== state.sessionId) return;
        body.messages.forEach(function (m) {
          if (!m || typeof m !== "object") return;
          onBotMessage({ text: m.text, agent_name: m.agent_name, agent_message_id: m.id });
        });
      })
      .catch(function () { /* offline: live replies still arrive, and the next connection asks again */ });
  }

  function onBotMessage(message) {
    if (!message || typeof message !== "object") return;
    var agentMessageId = typeof message.agent_message_id === "number" ? message.agent_message_id : null;
    if (agentMessageId !== null && !firstSight(agentMessageId)) return;
    var custom = message.custom && typeof message.custom === "object" ? message.custom : {};
    var text = textOf(message.text) || textOf(custom.text);
    var agent = textOf(custom.agent_name) || textOf(message.agent_name) ||
      textOf(message.metadata && message.metadata.agent_name);
    var replies = repliesOf(message.quick_replies || message.buttons || custom.quick_replies || custom.buttons);
    var image = null;
    var attachment = message.attachment;
    if (attachment && attachment.type === "image" && attachment.payload) image = safeUrl(attachment.payload.src);
    if (!text && !replies.length && !image) return;
    var entry = addEntry({
      role: agent || custom.agent ? "agent" : "bot",
      text: text,
      agent: agent.slice(0, 80) || null,
      replies: replies,
      image: image
    });
    announce(speakerLabel(entry) + ": " + text + (replies.length ? " (" + replies.map(function (r) {
      return r.title;
    }).join(", ") + ")" : ""));
  }

  // ------------------------------------------------------------------ language
  function applyTexts() {
    document.documentElement.lang = lang;
    document.title = t("pageTitle");
    document.querySelectorAll("[data-i18n]").forEach(function (node) { node.textContent = t(node.dataset.i18n); });
    [["i18nAriaLabel", "aria-label"], ["i18nTitle", "title"], ["i18nPlaceholder", "placeholder"]]
      .forEach(function (pair) {
        document.querySelectorAll("[data-" + pair[0].replace(/[A-Z]/g, function (c) {
          return "-" + c.toLowerCase();
        }) + "]").forEach(function (node) { node.setAttribute(pair[1], t(node.dataset[pair[0]])); });
      });
    document.querySelectorAll("[data-lang-section]").forEach(function (node) {
      node.hidden = node.dataset.langSection !== lang;
    });
    document.querySelectorAll("[data-set-lang]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.setLang === lang));
    });
    if (statusLine.dataset.key) statusLine.textContent = t(statusLine.dataset.key);
    renderIdentity();
    renderAll();
  }

  function conversationStarted() {
    return state.history.some(function (e) { return e.role === "user" || e.role === "bot" || e.role === "agent"; });
  }

  function setLanguage(next) {
    if (config.languages.indexOf(next) < 0 || next === lang) return;
    lang = next;
    document.cookie = "chat_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
    applyTexts();
    // The conversation follows: the switch_language rule sets the slot and confirms in the new language.
    // A conversation that has not started yet gets the page language as a hint with its first message.
    if (conversationStarted()) {
      closeQuickReplies();
      enqueue('/switch_language{"requested_language":"' + lang + '"}', null);
    }
  }

  // ------------------------------------------------------------------ opening and closing
  function openChat(focusInput) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    document.body.classList.add("chat-open");
    store.set(KEYS.open, true);
    connect();
    scrollToEnd(true);
    if (focusInput) input.focus();
  }

  function closeChat() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    document.body.classList.remove("chat-open");
    store.set(KEYS.open, false);
    launcher.focus();
  }

  /** Tells the core that the customer left a conversation: the agent of a handoff in it sees so. */
  function leaveConversation(session) {
    if (!session || typeof window.fetch !== "function") return;
    window.fetch("/chat/" + encodeURIComponent(session) + "/left", { method: "POST", keepalive: true })
      .catch(function () { /* offline: the agent's replies then simply go unread */ });
  }

  function newConversation() {
    leaveConversation(state.sessionId);
    state.history = [];
    state.queue = [];
    state.inFlight = {};
    state.sessionId = null;
    store.remove(KEYS.session);
    store.remove(KEYS.agentSeen);
    saveHistory();
    hideTyping();
    renderAll();
    restartConnection();
    input.focus();
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 120) + "px";
  }

  // ------------------------------------------------------------------ wiring
  launcher.addEventListener("click", function () { openChat(true); });
  document.querySelectorAll("[data-open-chat]").forEach(function (button) {
    button.addEventListener("click", function () { openChat(true); });
  });
  $("chat-close").addEventListener("click", closeChat);
  $("chat-new").addEventListener("click", newConversation);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closeChat();
    }
  });
  document.querySelectorAll("[data-set-lang]").forEach(function (button) {
    button.addEventListener("click", function () { setLanguage(button.dataset.setLang); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    formNote.textContent = "";
    if (!text) return;
    if (text.length > config.maxMessageLength) {
      formNote.textContent = t("tooLong", { max: config.maxMessageLength });
      return;
    }
    sendUserMessage(text, text);
    input.value = "";
    autoGrow();
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", autoGrow);

  // Another tab of the same site changed the conversation or the sign-in.
  window.addEventListener("storage", function (event) {
    if (event.key === KEYS.history) {
      state.history = loadHistory(true);
      renderAll();
    } else if (event.key === KEYS.demo) {
      renderIdentity();
    } else if (event.key === KEYS.session) {
      var id = store.get(KEYS.session, null);
      if (id !== state.sessionId) {
        state.sessionId = id;
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
    connected: canSend
  };
})();
