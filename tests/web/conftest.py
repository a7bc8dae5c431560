"""Browser tests of the support page: the real servers (scripts/run.sh on free ports, a temporary SQLite
database, demo mode on) and Debian's Chromium driven by Playwright. Screenshots go to test-results/web/.

Skipped with a clear reason when Chromium, Playwright or the page's socket.io client is missing, except on CI
(CI=true), where that is a failure. `make test` installs all three.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.servers import MODEL, ROOT, launch, several_rasa_processes

SOCKET_IO_CLIENT = ROOT / "build" / "static" / "socket.io.min.js"
WEBCHAT = ROOT / "build" / "static" / "rasa-webchat.js"  # a standard client (test_standard_clients.py)
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
RESULTS = ROOT / "test-results" / "web"
TOKEN_SECRET = "web-tests-customer-token-secret-0123456789"
SERVICE_KEY = "web-tests-core-service-key-0123456789"
AGENT_PASSWORD = "web-tests-demo-agent-password"  # the console's demo agent, `demo-agent`
RASA_TOKEN = "web-tests-rasa-token"  # Rasa's HTTP API
CHAT_KEY_SECRET = "web-tests-chat-key-secret"  # the web chat's conversation keys (Rasa and the core)


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} is missing (Debian package chromium; `make test` installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing from the core environment (requirements/core.in)"
    for built in (SOCKET_IO_CLIENT, WEBCHAT):
        if not built.is_file():
            return f"{built.relative_to(ROOT)} is missing (built by `make` from web/package-lock.json)"
    return None


def pytest_collection_modifyitems(config, items) -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError(f"browser tests cannot run on CI: {reason}")
    marker = pytest.mark.skip(reason=f"browser tests skipped: {reason}")
    for item in items:
        item.add_marker(marker)


@dataclass
class Servers:
    page_url: str
    core_url: str
    rasa_url: str
    log: Path


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """The core (page), the action server and Rasa, started like `make run` does (at least two Rasa processes
    behind HAProxy, whatever the number of cores)."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests with `make test`, which trains it.")
    try:
        running = launch(tmp_path_factory.mktemp("web-servers"),
                         {"CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "CORE_SERVICE_KEY": SERVICE_KEY,
                          "RASA_TOKEN": RASA_TOKEN, "CHAT_KEY_SECRET": CHAT_KEY_SECRET},
                         {"CORE_DEMO_MODE": "true", "SUPPORT_HOURS": "always",
                          "CORE_DEMO_AGENT_PASSWORD": AGENT_PASSWORD, **several_rasa_processes()})
    except RuntimeError as error:
        pytest.fail(str(error))
    yield Servers(f"{running.core_url}/", running.core_url, running.rasa_url, running.log)
    running.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a bot answer on a busy 2-core machine

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, request: pytest.FixtureRequest):
    """A fresh browser profile (empty localStorage) per test; a screenshot of its last page afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="lt-LT")
    context.set_default_timeout(30_000)
    yield context
    RESULTS.mkdir(parents=True, exist_ok=True)
    for number, page in enumerate(context.pages):
        suffix = f"-{number}" if number else ""
        try:
            page.screenshot(path=str(RESULTS / f"{request.node.name}{suffix}.png"), full_page=False)
        except Exception:  # noqa: BLE001 - a failed screenshot must not hide the test's own result
            pass
    context.close()
