"""The dashboard at /agent/dashboard, for admins (docs/analytics.md "Dashboard"): the figures of
bot/core/analytics/figures.py for a period of UTC days and a language, as charts (static/dashboard.js draws them with
Chart.js from the page's tables), tables, and the same tables as CSV (/agent/dashboard.csv) and JSON
(/agent/dashboard.json).

The filters are a GET form (`from`, `to` inclusive, YYYY-MM-DD; `language` all, lt or en), so a URL names what it
shows; without dates: the last DEFAULT_DAYS days up to today. An agent gets 403 (router.admin_refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from bot.core.analytics.figures import Period, dashboard
from bot.core.console import router as console
from bot.core.console.dashboard_tables import CHART_INTENTS, Table, as_json, csv_text, tables
from bot.core.console.texts import language_of, texts
from bot.core.deps import SessionDep, now_of
from bot.core.http_errors import problem_response
from bot.vocabulary import LANGUAGES

router = APIRouter(include_in_schema=False)  # under the console's /agent (bot/core/console/__init__.py)
DEFAULT_DAYS = 30
PRESET_DAYS = (7, 30, 90)
MAX_DAYS = 400
ALL = "all"
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class BadFilter(ValueError):
    """A filter that cannot be read; its text key says why."""


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: a period and a language (None: all)."""

    period: Period
    language: str | None

    def query(self) -> str:
        """The URL query that names these filters."""
        return urlencode({"from": self.period.start.isoformat(), "to": self.period.last.isoformat(),
                          "language": self.language or ALL})

    def file_name(self) -> str:
        return f"dashboard-{self.period.start}-{self.period.last}-{self.language or ALL}"


def last_days(days: int, today: date, language: str | None) -> Filters:
    return Filters(Period(today - timedelta(days=days - 1), today + timedelta(days=1)), language)


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadFilter("dashboard_bad_period") from None


def filters_of(params: dict[str, str], today: date) -> Filters:
    """The filters of a request's query (module docstring); BadFilter when they cannot be read."""
    language = params.get("language") or ALL
    if language != ALL and language not in LANGUAGES:
        raise BadFilter("dashboard_bad_language")
    chosen = None if language == ALL else language
    first, last = _day(params.get("from")), _day(params.get("to"))
    if first is None and last is None:
        return last_days(DEFAULT_DAYS, today, chosen)
    last = last or max(today, first or today)
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last or (last - first).days >= MAX_DAYS:
        raise BadFilter("dashboard_bad_period")
    return Filters(Period(first, last + timedelta(days=1)), chosen)


def _params(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key, "")[:40] for key in ("from", "to", "language")}


def recording(request: Request) -> bool:
    """Whether this core records conversations: the recorder reads Rasa's event broker (HANDOFF_EVENTS_URL)."""
    return bool(request.app.state.settings.handoff.events_url)


@router.get("/dashboard")
def dashboard_page(request: Request, session: SessionDep) -> Response:
    who = console.signed_in(request, session)
    refusal = console.admin_refusal(request, who)
    if refusal is not None:
        return refusal
    assert who is not None
    language, params, today = language_of(request), _params(request), now_of(request).date()
    t = texts(language)
    kept = params["language"] if params["language"] in LANGUAGES else None  # the presets keep the language
    context = {"agent": who.agent, "csrf_token": who.csrf_token, "params": params, "chart_intents": CHART_INTENTS,
               "recording": recording(request),
               "presets": [(days, last_days(days, today, kept)) for days in PRESET_DAYS]}
    try:
        filters = filters_of(params, today)
    except BadFilter as bad:
        message = t[str(bad)].format(days=MAX_DAYS)
        return console.render("dashboard.html", status=400, language=language, error=message, filters=None,
                              **context)
    figures = dashboard(session, filters.period, filters.language)
    language_name = t[f"dashboard_language_{filters.language or ALL}"]
    showing = t["dashboard_showing"].format(start=filters.period.start, last=filters.period.last,
                                            language=language_name)
    return console.render("dashboard.html", language=language, filters=filters, showing=showing,
                          figures=figures, tables=tables(figures, t, language), error=None, **context)


def _tables(request: Request, session: SessionDep) -> tuple[Filters, list[Table]] | Response:
    """The filters and tables of a download, or 400 `bad_filter`."""
    language = language_of(request)
    t = texts(language)
    try:
        filters = filters_of(_params(request), now_of(request).date())
    except BadFilter as bad:
        return problem_response(400, "bad_filter", t[str(bad)].format(days=MAX_DAYS),
                                headers={"Cache-Control": "no-store"})
    return filters, tables(dashboard(session, filters.period, filters.language), t, language)


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, session: SessionDep) -> Response:
    """The dashboard's tables as CSV: table, row, label, column, value (bot/core/console/dashboard_tables.py). A
    browser's download: the signed-out go to the sign-in page, an agent gets the 403 page."""
    refusal = console.admin_refusal(request, console.signed_in(request, session))
    if refusal is not None:
        return refusal
    made = _tables(request, session)
    if isinstance(made, Response):
        return made
    filters, found = made
    return Response(csv_text(found), media_type="text/csv; charset=utf-8", headers={
        **HEADERS, "Content-Disposition": f'attachment; filename="{filters.file_name()}.csv"'})


@router.get("/dashboard.json")
def dashboard_json(request: Request, session: SessionDep, who: console.AdminDep) -> Response:
    """The dashboard's tables as JSON (the same values as the CSV); 401 signed out, 403 for an agent."""
    made = _tables(request, session)
    if isinstance(made, Response):
        return made
    filters, found = made
    return JSONResponse({"from": filters.period.start.isoformat(), "to": filters.period.last.isoformat(),
                         "language": filters.language or ALL, "tables": as_json(found)}, headers=HEADERS)
