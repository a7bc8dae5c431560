"""A standard socket.io client on a company's own page: rasa-webchat 1.0.1 from the npm registry (pinned in
web/package-lock.json, copied to build/static by `make`), in Debian's Chromium, against the real servers with
several Rasa processes behind HAProxy (scripts/run.sh; docs/web-chat.md "Standard clients").

rasa-webchat starts every connection with HTTP long-polling: each of its requests must reach the Rasa process that
opened the session (HAProxy's stickiness by the engine.io sid), else it is refused `400 Invalid session` and the
widget stays hidden. Measured here: 10 fresh page loads in a row, each answered ("Labas"); 10 reloads in a row,
each restoring the conversation (same session, every earlier message shown) and answering the next message; no
HTTP error in the browser's network or console. The figures go to test-results/web/standard-clients.json.

The page is the test's own (a tiny HTTP server on another port, so the page is cross-origin to Rasa as on a
company's site): rasa-webchat is served nowhere in production. Skipped without haproxy, except with CI=true.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from tests.web.conftest import RESULTS, WEBCHAT

HAPROXY = shutil.which(os.environ.get("HAPROXY") or "haproxy", path=f"/usr/sbin:/sbin:{os.environ.get('PATH', '')}")
if not HAPROXY and os.environ.get("CI", "").lower() == "true":
    raise RuntimeError("haproxy is missing on CI: `make test` installs Debian's haproxy")
pytestmark = pytest.mark.skipif(not HAPROXY, reason="haproxy is missing (`make test` installs it as root)")

LOADS = 10
RELOADS = 10
ANSWER_SECONDS = 30  # a connection (with its retries) and a turn on a busy 2-core machine
FIGURES: dict = {}

PAGE = """<!doctype html>
<html lang="lt">
<head><meta charset="utf-8"><title>UAB Pavyzdys: support</title></head>
<body>
<h1>UAB Pavyzdys</h1>
<p>A company's own page with the standard rasa-webchat widget.</p>
<div id="webchat"></div>
<script src="/rasa-webchat.js"></script>
<script>
  WebChat.default({
    selector: "#webchat",
    socketUrl: SOCKET_URL,
    socketPath: "/socket.io/",
    initPayload: "/greet",
    customData: {language: "lt"},
    title: "Canon asistentas",
    params: {storage: "local"}
  }, null);
</script>
</body>
</html>
"""


@pytest.fixture(scope="module")
def company_page(servers) -> Iterator[str]:
    """A company's page embedding rasa-webchat, served on a port of its own; its URL."""
    page = PAGE.replace("SOCKET_URL", json.dumps(servers.rasa_url)).encode()
    bundle = WEBCHAT.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body, kind = (bundle, "text/javascript") if self.path == "/rasa-webchat.js" else (page, "text/html")
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/"
    server.shutdown()
    server.server_close()


class Watch:
    """A page's HTTP errors (a response >= 400, or a console error naming one or Rasa's address), the other
    failed requests (rasa-webchat's stylesheet asks a font host this offline machine cannot resolve), and the
    sessions rasa-webchat confirmed (its console lines)."""

    def __init__(self, page, rasa_url: str) -> None:
        self.rasa_url = rasa_url.replace("http://", "")
        self.errors: list[str] = []
        self.elsewhere: set[str] = set()
        self.confirmed: list[str] = []
        page.on("response", lambda response: self.errors.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.on("requestfailed", self._failed)
        page.on("console", self._console)

    def _failed(self, request) -> None:
        if self.rasa_url not in request.url:
            self.elsewhere.add(f"{request.url.split('?')[0]}: {request.failure}")
        elif "ERR_ABORTED" not in (request.failure or ""):  # a long poll cut by a reload is no error
            self.errors.append(f"failed {request.url}: {request.failure}")

    def _console(self, message) -> None:
        text = message.text
        if message.type == "error" and (re.search(r"\b[45]\d\d\b", text) or self.rasa_url in text):
            self.errors.append(f"console: {text}")
        found = re.match(r"session_confirm:\S* session_id:(\w+)", text)
        if found:
            self.confirmed.append(found.group(1))


# rasa-webchat's conversation in the page: ("client" | "response", text) in order. A bot message shows after a
# typing indicator (0.8-3 s, rasa-webchat's customMessageDelay), which is no message; nor is an empty bubble.
BUBBLES_JS = """[...document.querySelectorAll('.rw-client, .rw-response')]
    .filter(e => !e.closest('.rw-typing-indication') && e.innerText.trim())"""
MESSAGES_JS = f"""() => {BUBBLES_JS}.map(
    e => [e.classList.contains('rw-client') ? 'client' : 'response', e.innerText.trim()])"""
ANSWERED_JS = f"""(text) => {{
    const all = {BUBBLES_JS};
    const asked = all.map(e => e.classList.contains('rw-client') && e.innerText.trim() === text).lastIndexOf(true);
    return asked >= 0 && all.slice(asked + 1).some(e => e.classList.contains('rw-response'));
}}"""
GREETED_JS = f"""() => {BUBBLES_JS}.some(e => e.classList.contains('rw-response'))"""
SESSION_JS = """() => { try { return JSON.parse(localStorage.getItem('chat_session')).session_id; }
                          catch (e) { return null; } }"""


def open_widget(page, timeout_ms: int) -> None:
    """Wait until rasa-webchat shows (it hides while not connected) and open it when it is closed."""
    page.wait_for_selector(".rw-launcher, .rw-conversation-container", state="visible", timeout=timeout_ms)
    if not page.locator(".rw-conversation-container").is_visible():
        page.locator(".rw-launcher").click()
    page.wait_for_selector(".rw-new-message", state="visible", timeout=timeout_ms)


def say(page, text: str, timeout_ms: int) -> None:
    """Type `text` into rasa-webchat and wait for a bot message after it."""
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(ANSWERED_JS, arg=text, timeout=timeout_ms)


def fresh_load(browser, url: str, rasa_url: str) -> dict:
    """One page load in a new browser profile: shown, greeted (the widget's initPayload), "Labas" answered."""
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="lt-LT")
    page = context.new_page()
    watch = Watch(page, rasa_url)
    started = time.monotonic()
    result = {"answered": False, "shown_after_s": None, "errors": watch.errors, "elsewhere": watch.elsewhere}
    try:
        page.goto(url)
        deadline = started + ANSWER_SECONDS
        open_widget(page, ANSWER_SECONDS * 1000)
        result["shown_after_s"] = round(time.monotonic() - started, 1)
        page.wait_for_function(GREETED_JS, timeout=max(deadline - time.monotonic(), 1) * 1000)  # the greeting
        say(page, "Labas", max(deadline - time.monotonic(), 1) * 1000)
        result["answered"] = True
        result["seconds"] = round(time.monotonic() - started, 1)
    except Exception as error:  # noqa: BLE001 - a load that fails is counted, the next one still runs
        result["failure"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        context.close()
    return result


def test_rasa_webchat_every_fresh_load_is_answered(servers, company_page, browser):
    loads = [fresh_load(browser, company_page, servers.rasa_url) for _ in range(LOADS)]
    answered = sum(load["answered"] for load in loads)
    errors = [error for load in loads for error in load["errors"]]
    FIGURES["fresh_loads"] = {"answered": answered, "of": LOADS, "http_errors": len(errors),
                              "slowest_shown_s": max((load["shown_after_s"] or ANSWER_SECONDS) for load in loads),
                              "failed_elsewhere": sorted({url for load in loads for url in load.pop("elsewhere")}),
                              "loads": loads}
    write_figures()
    assert answered == LOADS, json.dumps(loads, indent=1)
    assert errors == []


def test_rasa_webchat_every_reload_restores_the_conversation(servers, company_page, browser):
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="lt-LT")
    page = context.new_page()
    watch = Watch(page, servers.rasa_url)
    reloads = []
    try:
        for attempt in range(3):  # the conversation to reload (measured above: fresh loads)
            try:
                page.goto(company_page) if attempt == 0 else page.reload()
                open_widget(page, ANSWER_SECONDS * 1000)
                page.wait_for_function(GREETED_JS, timeout=ANSWER_SECONDS * 1000)
                say(page, "Labas", ANSWER_SECONDS * 1000)
                break
            except Exception:  # noqa: BLE001
                if attempt == 2:
                    raise
        session = page.evaluate(SESSION_JS)
        assert re.fullmatch(r"[0-9a-f]{32}", session or ""), session  # a session id our channel hands out
        page.screenshot(path=str(results_dir() / "rasa-webchat-answering.png"))
        history = page.evaluate(MESSAGES_JS)  # the conversation so far, which every reload must show again
        watch.errors.clear()  # counted from the first reload on
        for number in range(1, RELOADS + 1):
            confirmed = len(watch.confirmed)
            started = time.monotonic()
            result = {"restored": False, "answered": False}
            try:
                page.reload()
                deadline = started + ANSWER_SECONDS
                while len(watch.confirmed) == confirmed:  # the reconnection's session_confirm
                    assert time.monotonic() < deadline, "no session_confirm after the reload"
                    page.wait_for_timeout(100)
                result["same_session"] = watch.confirmed[-1] == session
                open_widget(page, max(deadline - time.monotonic(), 1) * 1000)
                shown = page.evaluate(MESSAGES_JS)
                result["restored"] = result["same_session"] and shown[:len(history)] == history
                if not result["restored"]:
                    result["missing"] = [entry for entry in history if entry not in shown][:3]
                    result["shown"] = shown[:3]
                    result["history"] = history[:3]
                result["shown_after_s"] = round(time.monotonic() - started, 1)
                say(page, f"Ačiū {number}", max(deadline - time.monotonic(), 1) * 1000)
                result["answered"] = True
                if result["restored"]:
                    history = page.evaluate(MESSAGES_JS)
            except Exception as error:  # noqa: BLE001 - counted; the next reload still runs
                result["failure"] = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            reloads.append(result)
        page.screenshot(path=str(results_dir() / "rasa-webchat-after-reloads.png"))
    finally:
        context.close()
    restored = sum(result["restored"] for result in reloads)
    answered = sum(result["answered"] for result in reloads)
    FIGURES["reloads"] = {"restored": restored, "answered": answered, "of": RELOADS,
                          "http_errors": len(watch.errors), "errors": watch.errors[:20],
                          "failed_elsewhere": sorted(watch.elsewhere), "reloads": reloads}
    write_figures()
    assert restored == RELOADS and answered == RELOADS, json.dumps(reloads, indent=1)
    assert watch.errors == []


def test_the_servers_run_several_rasa_processes_behind_haproxy(servers):
    """The figures above mean something only with several processes (the tests' servers: at least two)."""
    banner = next(line for line in servers.log.read_text().splitlines() if line.strip().startswith("Rasa:"))
    assert re.search(r"\b([2-9]|\d\d+) Rasa processes \(RASA_WORKERS\) on .* behind HAProxy", banner), banner


def results_dir():
    RESULTS.mkdir(parents=True, exist_ok=True)
    return RESULTS


def write_figures() -> None:
    (results_dir() / "standard-clients.json").write_text(json.dumps(FIGURES, indent=1, ensure_ascii=False))

