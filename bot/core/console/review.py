"""The conversation review at /agent/review, for admins only (an agent gets 403 in their language): sessions
searched and read, the messages not understood grouped with their NLU YAML export, and a customer's or a
conversation's erasure (a confirm page, then a form with the session's CSRF token; audited). The work is done by
bot/core/analytics (review.py, erase.py); docs/analytics.md "Conversation review" and "Privacy".
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from bot.core.analytics import review
from bot.core.analytics.erase import customer_conversations, erase
from bot.core.analytics.outcomes import OUTCOMES
from bot.core.console import security as sec
from bot.core.console.router import SECURITY_HEADERS, ActingDep, FieldsDep, handoff_of, render, signed_in
from bot.core.console.texts import language_of, texts
from bot.core.db.models import ADMIN_ROLE, AnalyticsConversation
from bot.core.deps import SessionDep, now_of
from bot.core.handoff.rasa import RasaUnavailable
from bot.vocabulary import LANGUAGES

router = APIRouter(prefix="/review")
SessionRef = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
PICK = re.compile(r"pick_(\d{1,4})_\d{1,4}")
MAX_ID = 512


def page(request: Request, who: sec.SignedIn, name: str, status: int = 200, **context: Any) -> Response:
    """A review page in the admin's language."""
    return render(name, status=status, language=language_of(request), agent=who.agent, csrf_token=who.csrf_token,
                  languages=LANGUAGES, outcomes=OUTCOMES, **context)


def refusal(request: Request, who: sec.SignedIn, status: int, title: str, message: str) -> Response:
    t = texts(language_of(request))
    return page(request, who, "review_error.html", status, title=t[title], message=t[message])


def admin_of(request: Request, session: SessionDep) -> sec.SignedIn | Response:
    """The signed-in admin; else the sign-in page (no session) or 403 (an agent)."""
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    return acting_admin(request, who)


def acting_admin(request: Request, who: sec.SignedIn) -> sec.SignedIn | Response:
    """The signed-in agent if an admin (for a state-changing request, ActingDep has checked the CSRF token), else
    403 in their language."""
    if who.agent.role != ADMIN_ROLE:
        return refusal(request, who, 403, "review_forbidden_title", "review_forbidden")
    return who


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


@router.get("")
def search_page(request: Request, session: SessionDep) -> Response:
    """The search form and the matching sessions, newest first (filters in the query string)."""
    who = admin_of(request, session)
    if isinstance(who, Response):
        return who
    filters = review.Filters.parse(request.query_params)
    found = review.search(session, filters, _page_number(request))
    query = filters.as_query()
    return page(request, who, "review_search.html", filters=filters, query=query, found=found,
                intents=review.known_intents(), link=lambda n: "/agent/review?" + urlencode({**query, "page": n}))


@router.get("/sessions/{ref}")
def transcript_page(ref: SessionRef, request: Request, session: SessionDep) -> Response:
    who = admin_of(request, session)
    if isinstance(who, Response):
        return who
    found = review.transcript(session, ref)
    if found is None:
        return refusal(request, who, 404, "review_error_title", "review_not_found")
    return page(request, who, "review_transcript.html", **found)


@router.get("/not-understood")
def not_understood_page(request: Request, session: SessionDep) -> Response:
    """The groups of messages not understood (period and language from the query string), with the export form."""
    who = admin_of(request, session)
    if isinstance(who, Response):
        return who
    filters = review.Filters.parse(request.query_params)
    filters = review.Filters(start=filters.start, end=filters.end, language=filters.language)
    return page(request, who, "review_not_understood.html", filters=filters,
                groups=review.not_understood(session, filters), intents=review.known_intents())


def selection(fields: dict[str, str]) -> list[tuple[str, list[str]]]:
    """(intent, texts) of the export form: `intent_<group>` and the ticked `pick_<group>_<example>` texts; groups
    without an intent or without a ticked example are left out."""
    picked: dict[str, list[str]] = {}
    for name, value in sorted(fields.items()):
        match = PICK.fullmatch(name)
        if match:
            picked.setdefault(match.group(1), []).append(value)
    chosen = []
    for group, values in sorted(picked.items(), key=lambda kv: int(kv[0])):
        intent = fields.get(f"intent_{group}", "").strip()
        if intent:
            chosen.append((intent, values))
    return chosen


@router.post("/not-understood/export")
def export(request: Request, who: ActingDep, fields: FieldsDep) -> Response:
    """The ticked examples with their groups' intents as a downloadable NLU YAML file."""
    admin = acting_admin(request, who)
    if isinstance(admin, Response):
        return admin
    chosen = selection(fields)
    if not chosen:
        return refusal(request, who, 422, "review_error_title", "review_export_empty")
    try:
        body = review.export(chosen)
    except review.UnknownIntent:
        return refusal(request, who, 422, "review_error_title", "review_export_unknown_intent")
    name = f"nlu-review-{now_of(request).date().isoformat()}.yml"
    headers = {**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type="application/x-yaml; charset=utf-8", headers=headers)


# ------------------------------------------------------------------ erasure


def _target(values: Any) -> tuple[str | None, str | None]:
    customer = (values.get("customer") or "").strip()[:64] or None
    conversation = (values.get("conversation") or "").strip()[:MAX_ID] or None
    return (customer, None) if customer else (None, conversation)


@router.get("/erase")
def erase_confirm_page(request: Request, session: SessionDep) -> Response:
    """What an erasure would remove, and the form that confirms it."""
    who = admin_of(request, session)
    if isinstance(who, Response):
        return who
    customer, conversation = _target(request.query_params)
    if customer is None and conversation is None:
        return page(request, who, "review_erase.html", customer=None, conversation=None, found=None)
    if customer is not None:
        found = len(customer_conversations(session, customer))
    else:
        found = session.scalar(select(func.count()).select_from(AnalyticsConversation)
                               .where(AnalyticsConversation.conversation_id == conversation)) or 0
    return page(request, who, "review_erase.html", customer=customer, conversation=conversation, found=found)


@router.post("/erase")
def erase_action(request: Request, session: SessionDep, who: ActingDep, fields: FieldsDep) -> Response:
    """Erase a customer's conversations or one conversation (bot/core/analytics/erase.py), audited as
    "agent:<username>"."""
    admin = acting_admin(request, who)
    if isinstance(admin, Response):
        return admin
    customer, conversation = _target(fields)
    if customer is None and conversation is None:
        return refusal(request, who, 422, "review_error_title", "review_erase_missing")
    try:
        erased = erase(session, handoff_of(request).rasa, f"agent:{who.agent.username}", now_of(request),
                       customer_id=customer, conversation_id=conversation)
    except RasaUnavailable:
        session.rollback()
        return refusal(request, who, 503, "review_error_title", "review_rasa_unavailable")
    t = texts(language_of(request))
    return page(request, who, "review_erased.html", message=t["review_erased_counts"].format(**erased.as_dict()),
                counts=erased.as_dict())
