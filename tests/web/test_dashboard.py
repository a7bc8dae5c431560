"""Browser tests of the console's dashboard (/agent/dashboard) with Debian's Chromium: the real core server
(uvicorn, as scripts/run.sh starts it; seeded in demo mode, so with demo-agent and demo-admin) on a temporary SQLite
database holding the analytics sample of tests/core/dashboard_sample.py three times. The charts are drawn under the
console's strict CSP, the filters change the figures, the CSV holds the table's numbers, 360 px wide has no
horizontal scroll, and an agent or a signed-out browser cannot see it. Screenshots: test-results/web/dashboard-*.png.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.core.db.session import make_engine, make_sessionmaker
from tests.core.dashboard_sample import sample
from tests.servers import ROOT, free_port
from tests.web.conftest import RESULTS

PASSWORD = "web-tests-dashboard-password"
CHART_JS = ROOT / "build" / "static" / "chart.umd.min.js"
NOVEMBER = "from=2026-11-02&to=2026-11-03"  # the first sample's two days alone
WIDE = "from=2026-11-01&to=2026-11-14"


@dataclass
class Core:
    url: str
    log: Path


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Core]:
    """The core service alone on a free port, its database seeded in demo mode and filled with the samples."""
    if not CHART_JS.is_file():
        pytest.fail(f"{CHART_JS.relative_to(ROOT)} is missing: `make` copies it from web/package-lock.json")
    folder = tmp_path_factory.mktemp("dashboard")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CORE_DATABASE_URL": f"sqlite:///{folder / 'core.db'}",
           "CUSTOMER_TOKEN_SECRET": "dashboard-tests-token-secret-0123456789", "CORE_SERVICE_KEY": "dashboard-key",
           "CORE_DEMO_MODE": "true", "CORE_DEMO_AGENT_PASSWORD": PASSWORD, "HANDOFF_SYNC_INTERVAL": "0"}
    seeded = subprocess.run([sys.executable, "-m", "bot.core.seed"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    engine = make_engine(env["CORE_DATABASE_URL"])
    with make_sessionmaker(engine)() as session:
        sample(session, "2026-11-02", "2026-11-03")
        sample(session, "2026-11-06", "2026-11-07", prefix="b")
        sample(session, "2026-11-10", "2026-11-11", prefix="c")
    engine.dispose()
    log = folder / "core.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bot.core.main:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the core did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    yield Core(url, log)
    process.terminate()
    process.wait(timeout=30)


def sign_in(page, core: Core, username: str) -> None:
    page.goto(f"{core.url}/agent/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#sign-in").click()
    page.wait_for_url(f"{core.url}/agent")


def watch_console(page) -> list[str]:
    """Errors the page logs (a CSP refusal, a script error) and failed requests (not the favicon the browser asks
    for by itself, which the console has none of and Playwright does not report as a response)."""
    errors: list[str] = []

    def logged(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", logged)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    return errors


def shot(page, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / f"dashboard-{name}.png"), full_page=True)


def cell(page, table: str, row: str, column: str) -> str:
    return page.locator(f'td[data-table="{table}"][data-row="{row}"][data-column="{column}"]').get_attribute(
        "data-value")


def table_cells(page) -> set[tuple[str, str, str, str]]:
    script = "cells => cells.map(c => [c.dataset.table, c.dataset.row, c.dataset.column, c.dataset.value])"
    return {tuple(item) for item in page.eval_on_selector_all("td[data-value]", script)}


DRAWN_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def test_the_charts_render_under_the_csp(browser, core: Core) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, core, "demo-admin")
    page.goto(f"{core.url}/agent/dashboard?{WIDE}&language=all")
    figures = page.locator("figure[data-chart]")
    count = figures.count()
    assert count == page.locator("table.figures").count() - 1  # all but the key figures
    expect(page.locator('figure[data-drawn="true"]')).to_have_count(count)
    for canvas in page.locator("figure[data-chart] canvas").all():
        assert canvas.evaluate(DRAWN_PIXELS) > 500, canvas.get_attribute("id")
        assert canvas.evaluate("c => Boolean(window.Chart.getChart(c))")
    # a chart holds its table's numbers
    outcomes = page.locator("#chart-outcomes").evaluate("c => window.Chart.getChart(c).data.datasets[0].data")
    rows = page.eval_on_selector_all('#table-outcomes td[data-column="count"]', "tds => tds.map(t => +t.dataset.value)")
    assert outcomes == rows and sum(rows) == 21  # three samples of 7 conversations (c7 and c8 inside too)
    trend = page.locator("#chart-trend").evaluate("c => window.Chart.getChart(c).data.datasets.map(d => d.pointStyle)")
    assert trend == ["circle", "triangle", "rectRot"]  # the lines differ by shape, not colour alone
    assert errors == [], errors
    shot(page, "wide-en")
    context.close()


def test_the_filters_change_the_figures(browser, core: Core) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    sign_in(page, core, "demo-admin")
    page.goto(f"{core.url}/agent/dashboard?{NOVEMBER}&language=all")
    assert cell(page, "summary", "conversations", "value") == "5"
    page.locator("#filter-language").select_option("lt")
    page.locator("#filter-show").click()
    page.wait_for_url("**language=lt")
    assert cell(page, "summary", "conversations", "value") == "3"
    assert cell(page, "summary", "fallback_rate", "percent") == "16.7"
    chart = page.locator("#chart-outcomes").evaluate("c => window.Chart.getChart(c).data.datasets[0].data")
    assert chart == [1, 1, 1, 0]  # confirmed, assumed, not helped, handed over
    page.locator("#filter-from").fill("2026-11-03")
    page.locator("#filter-show").click()
    page.wait_for_url("**from=2026-11-03**")
    assert cell(page, "summary", "conversations", "value") == "1"  # c4 alone
    page.locator("#filter-to").fill("2026-11-14")
    page.locator("#filter-language").select_option("all")
    page.locator("#filter-show").click()
    page.wait_for_url("**to=2026-11-14**")
    assert cell(page, "summary", "conversations", "value") == "18"  # 4 of the first sample, 7 + 7 after
    shared = page.url  # a shareable URL: another admin's browser shows the same figures
    page.goto(f"{core.url}/agent/dashboard")
    page.goto(shared)
    assert cell(page, "summary", "conversations", "value") == "18"
    page.locator("#preset-7").click()  # the last 7 days up to today: none of the samples
    assert cell(page, "summary", "conversations", "value") == "0"
    shot(page, "filtered")
    context.close()


def test_the_csv_holds_the_table_numbers(browser, core: Core) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="lt-LT")
    page = context.new_page()
    sign_in(page, core, "demo-admin")
    page.goto(f"{core.url}/agent/dashboard?{WIDE}&language=en")
    shown = table_cells(page)
    with page.expect_download() as download_info:
        page.locator("#download-csv").click()
    download = download_info.value
    assert download.suggested_filename == "dashboard-2026-11-01-2026-11-14-en.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["table", "row", "label", "column", "value"]
    assert {(t, r, c, v) for t, r, _, c, v in rows[1:]} == shown and len(rows) - 1 == len(shown)
    # what the page shows is the same number, written the Lithuanian way
    for text, value in page.eval_on_selector_all(
            'td[data-column="percent"][data-value]:not([data-value=""])',
            "tds => tds.map(t => [t.textContent, t.dataset.value])"):
        assert text == f"{value.replace('.', ',')} %", (text, value)
    assert cell(page, "summary", "conversations", "value") == "6"  # 2 English conversations in each sample
    context.close()


@pytest.mark.parametrize("locale", ["lt-LT", "en-GB"])
def test_360_px_wide_has_no_horizontal_scroll(browser, core: Core, locale: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 360, "height": 740}, locale=locale, device_scale_factor=2)
    page = context.new_page()
    errors = watch_console(page)
    sign_in(page, core, "demo-admin")
    page.goto(f"{core.url}/agent/dashboard?{WIDE}&language=all")
    expect(page.locator('figure[data-drawn="true"]')).to_have_count(page.locator("figure[data-chart]").count())
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 360, widths
    title = {"lt-LT": "Suvestinė", "en-GB": "Dashboard"}[locale]
    expect(page.locator("h1")).to_have_text(title)
    assert errors == [], errors
    shot(page, f"360-{locale[:2]}")
    context.close()


def test_an_agent_and_the_signed_out_cannot_see_it(browser, core: Core) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="lt-LT")
    page = context.new_page()
    answer = page.goto(f"{core.url}/agent/dashboard?{NOVEMBER}")
    assert page.url == f"{core.url}/agent/sign-in" and answer.status == 200
    assert page.request.get(f"{core.url}/agent/dashboard.json").status == 401
    sign_in(page, core, "demo-agent")
    answer = page.goto(f"{core.url}/agent/dashboard?{NOVEMBER}")
    assert answer.status == 403
    assert "Šį puslapį mato tik administratoriai" in page.locator("#error-message").text_content()
    assert page.locator("td[data-value]").count() == 0 and page.locator("canvas").count() == 0
    for path in ("dashboard.csv", "dashboard.json"):
        refused = page.request.get(f"{core.url}/agent/{path}?{NOVEMBER}")
        assert refused.status == 403 and "table,row" not in refused.text()
    shot(page, "agent-refused")
    context.close()
