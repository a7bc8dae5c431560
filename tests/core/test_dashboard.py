"""The dashboard at /agent/dashboard through the real app, on SQLite and PostgreSQL: only admins (an agent gets 403
in their language, the signed-out the sign-in page), the filters, the page's tables equal to its CSV and JSON, the
strict CSP (no inline script or style), Chart.js served from the build. The browser tests are in
tests/web/test_dashboard.py."""

from __future__ import annotations

import csv
import html
import io
import os
import re

import pytest

from bot.core.agents import set_role
from tests.core.dashboard_sample import sample
from tests.core.handoff_support import AgentBrowser, Env, env, handoff_client  # noqa: F401 - fixtures

NOVEMBER = "from=2026-11-02&to=2026-11-03"
CELL = re.compile(r'<td data-table="([^"]*)" data-row="([^"]*)" data-column="([^"]*)" data-value="([^"]*)">'
                  r'([^<]*)</td>')


def admin(env: Env, username: str = "rita") -> AgentBrowser:
    browser = env.agent(username, "Rita Admin")
    with env.sessions() as session:
        set_role(session, username, "admin")
    return browser


def with_sample(env: Env) -> None:
    with env.sessions() as session:
        sample(session)


def page_cells(text: str) -> set[tuple[str, str, str, str]]:
    return {tuple(html.unescape(part) for part in m.groups()[:4]) for m in CELL.finditer(text)}


def csv_cells(text: str) -> set[tuple[str, str, str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["table", "row", "label", "column", "value"]
    return {(table, row, column, value) for table, row, _, column, value in rows[1:]}


def test_an_admin_reads_the_figures_and_the_csv_and_json_say_the_same(env: Env) -> None:
    with_sample(env)
    rita = admin(env)
    page = rita.get(f"/agent/dashboard?{NOVEMBER}&language=all", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    cells = page_cells(page.text)
    assert ("summary", "conversations", "value", "5") in cells
    assert ("summary", "contained", "percent", "40.0") in cells
    assert ("summary", "csat", "value", "2") in cells and ("summary", "csat", "of", "3") in cells
    assert ("summary", "wait_seconds", "value", "90.0") in cells
    assert ("summary", "first_reply_seconds", "value", "405.0") in cells
    assert ("outcomes", "handed_over", "count", "2") in cells
    assert ("handoff_reasons", "fallback", "count", "1") in cells
    assert ("funnel:registration_form", "asked:vat_registered", "count", "5") in cells
    assert ("intents", "faq_fees", "count", "3") in cells and ("trend", "2026-11-03", "fallbacks", "3") in cells
    assert "6 min 45 s" in page.text and "40.0 %" in page.text  # 405 s; English decimal point
    download = rita.get(f"/agent/dashboard.csv?{NOVEMBER}&language=all")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert 'filename="dashboard-2026-11-02-2026-11-03-all.csv"' in download.headers["content-disposition"]
    assert csv_cells(download.text) == cells
    data = rita.get(f"/agent/dashboard.json?{NOVEMBER}&language=all").json()
    from_json = {(t["key"], r["key"], c, "" if v is None else str(v))
                 for t in data["tables"] for r in t["rows"] for c, v in r["values"].items()}
    assert cells <= from_json and data["from"] == "2026-11-02" and data["to"] == "2026-11-03"


def test_the_page_says_when_conversations_are_not_recorded(env: Env) -> None:
    browser = admin(env)
    without_broker = browser.get("/agent/dashboard", headers={"Accept-Language": "lt"}).text
    assert 'id="recording-off"' in without_broker and "neįrašomi" in without_broker
    settings = env.client.app.state.settings
    env.client.app.state.settings = settings.model_copy(update={"handoff": settings.handoff.model_copy(
        update={"events_url": "amqp://guest:guest@127.0.0.1:5672/"})})
    try:
        assert 'id="recording-off"' not in browser.get("/agent/dashboard").text
    finally:
        env.client.app.state.settings = settings


def test_the_language_filter_changes_the_figures(env: Env) -> None:
    with_sample(env)
    rita = admin(env)
    lt = page_cells(rita.get(f"/agent/dashboard?{NOVEMBER}&language=lt").text)
    en = page_cells(rita.get(f"/agent/dashboard?{NOVEMBER}&language=en").text)
    assert ("summary", "conversations", "value", "3") in lt and ("summary", "conversations", "value", "2") in en
    assert ("summary", "fallback_rate", "percent", "16.7") in lt
    assert ("summary", "fallback_rate", "percent", "40.0") in en
    lithuanian = rita.get(f"/agent/dashboard?{NOVEMBER}&language=lt", headers={"Accept-Language": "lt"}).text
    assert "66,7 %" in lithuanian and "Suvestinė" in lithuanian  # decimal comma, Lithuanian texts
    assert csv_cells(rita.get(f"/agent/dashboard.csv?{NOVEMBER}&language=en").text) == en


def test_the_default_period_is_the_last_30_days_and_presets_keep_the_language(env: Env) -> None:
    rita = admin(env)
    page = rita.get("/agent/dashboard?language=en").text  # the app's clock: 2 December 2026
    assert 'value="2026-11-03"' in page and 'value="2026-12-02"' in page
    assert "/agent/dashboard.csv?from=2026-11-03&amp;to=2026-12-02&amp;language=en" in page
    assert "/agent/dashboard?from=2026-11-26&amp;to=2026-12-02&amp;language=en" in page  # 7 days
    assert 'id="dashboard-empty"' in page


@pytest.mark.parametrize("query", ["from=2026-11-05&to=2026-11-01", "from=2026-13-01", "from=2024-01-01&to=2026-01-01",
                                   "language=de"])
def test_wrong_filters_are_said(env: Env, query: str) -> None:
    rita = admin(env)
    page = rita.get(f"/agent/dashboard?{query}", headers={"Accept-Language": "en"})
    assert page.status_code == 400 and 'id="dashboard-error"' in page.text and "<canvas" not in page.text
    assert rita.get(f"/agent/dashboard.csv?{query}").status_code == 400


def test_an_agent_cannot_open_the_dashboard(env: Env) -> None:
    with_sample(env)
    ona = env.agent("ona")
    page = ona.get(f"/agent/dashboard?{NOVEMBER}", headers={"Accept-Language": "lt"})
    assert page.status_code == 403 and "Šį puslapį mato tik administratoriai" in page.text
    assert 'data-value' not in page.text
    english = ona.get("/agent/dashboard.csv", headers={"Accept-Language": "en"})
    assert english.status_code == 403 and "Only admins can open this page" in english.text
    assert "table,row" not in english.text
    refused = ona.get("/agent/dashboard.json", headers={"Cookie": "console_language=en"})
    assert refused.status_code == 403 and refused.json()["detail"]["code"] == "admins_only"
    with env.sessions() as session:
        set_role(session, "ona", "admin")  # counts from the next request
    assert ona.get("/agent/dashboard").status_code == 200
    with env.sessions() as session:
        set_role(session, "ona", "agent")
    assert ona.get("/agent/dashboard.json").status_code == 403


def test_signed_out_goes_to_the_sign_in_page(env: Env) -> None:
    nobody = AgentBrowser(env.client, "nobody")
    for path in ("/agent/dashboard", "/agent/dashboard.csv"):
        answer = nobody.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/agent/sign-in"
    assert nobody.get("/agent/dashboard.json").status_code == 401


def test_the_page_keeps_the_strict_csp(env: Env) -> None:
    with_sample(env)
    page = admin(env).get(f"/agent/dashboard?{NOVEMBER}")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert re.findall(r"<script(?![^>]*\bsrc=)", page.text) == []  # no inline script
    assert " style=" not in page.text and "<style" not in page.text and " on" + "click=" not in page.text
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert "/agent/static/chart.umd.min.js" in scripts and "/agent/static/dashboard.js" in scripts
    assert page.text.count("<canvas") == page.text.count("<table id=") - 1  # every table but the summary
    assert env.client.get("/agent/static/dashboard.js").status_code == 200


def test_chart_js_is_served_from_the_build(env: Env) -> None:
    from bot.core.console.router import VENDOR_DIR

    if not (VENDOR_DIR / "chart.umd.min.js").is_file():
        assert os.environ.get("CI", "").lower() != "true", "build/static/chart.umd.min.js is missing on CI"
        pytest.skip("build/static/chart.umd.min.js is missing (make copies it from web/node_modules)")
    answer = env.client.get("/agent/static/chart.umd.min.js")
    assert answer.status_code == 200 and "Chart.js v4" in answer.text[:200]
    assert answer.headers["content-type"].startswith("text/javascript")


def test_the_texts_exist_in_both_languages() -> None:
    from bot.core.console.texts import dashboard, texts

    assert set(dashboard.TEXTS["lt"]) == set(dashboard.TEXTS["en"])
    assert all(key.startswith("dashboard_") for key in dashboard.TEXTS["lt"])
    assert texts("lt")["dashboard_title"] == "Suvestinė" and texts("en")["dashboard_title"] == "Dashboard"


def test_recorded_names_are_escaped(env: Env) -> None:
    from tests.core.dashboard_sample import Rows

    attack = '<img src=x onerror="alert(1)">'
    with env.sessions() as session:
        r = Rows(session)
        talk = r.conversation("xss", "2026-11-02 10:00")
        r.say(talk, "2026-11-02 10:00", attack)
        r.steps(talk, attack, "2026-11-02 10:01", "started", attack)
        r.say(talk, "2026-11-02 10:02", '=HYPERLINK("http://evil.example")')
        r.done()
    rita = admin(env)
    page = rita.get(f"/agent/dashboard?{NOVEMBER}").text
    assert attack not in page and "&lt;img src=x onerror=" in page
    download = rita.get(f"/agent/dashboard.csv?{NOVEMBER}").text  # no formula for a spreadsheet
    assert "'=HYPERLINK" in download and ",=HYPERLINK" not in download
