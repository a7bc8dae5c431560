"""The agent console at /agent: sign-in, the queue, an escalation's view, claiming, replying, closing, live
updates over Server-Sent Events, and the review of messages the assistant did not understand. No service key:
agents sign in (bot/core/console/security.py).

Pages are Jinja2 templates with autoescaping; console.js (no inline script: the Content-Security-Policy
forbids it) builds every later change with textContent. Actions answer JSON to console.js (`Content-Type:
application/json`, CSRF token in `X-CSRF-Token`) and redirect a plain HTML form (CSRF token in `csrf_token`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from functools import cache
from math import ceil
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy.orm import Session

from bot.core import proxies
from bot.core.console import security as sec
from bot.core.console import views
from bot.core.console.system_notes import shown_messages
from bot.core.console.texts import LANGUAGE_COOKIE, language_of, texts
from bot.core.console.throttle import Throttle
from bot.core.db.models import ADMIN_ROLE, Escalation
from bot.core.deps import SessionDep, now_of, settings_of
from bot.core.errors import ServiceError
from bot.core.handoff import service, worker
from bot.core.http_errors import problem_response
from bot.core.security_headers import content_security_policy, security_headers
from bot.core.static_files import StaticFiles
from bot.core.templating import template_environment
from bot.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

HERE = Path(__file__).resolve().parent
VENDOR_DIR = HERE.parents[2] / "build" / "static"  # npm packages `make` copied (web/package-lock.json)
ASSETS = StaticFiles(HERE / "static", {"chart.umd.min.js": VENDOR_DIR / "chart.umd.min.js"})
MAX_BODY = 64 * 1024
MAX_REPLY = 4000
MAX_NOTE = 2000
HEARTBEAT_SECONDS = 15.0
CSP = content_security_policy({
    "default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self'",
    "connect-src": "'self'", "form-action": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'",
    "object-src": "'none'",
})
SECURITY_HEADERS = security_headers(CSP, referrer="no-referrer", cache="no-store", frame_options="DENY")
templates = template_environment(HERE / "templates")
router = APIRouter(prefix="/agent", include_in_schema=False)
EscalationId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
FALLBACKS_PER_PAGE = 50
BeforeId = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="only messages older than this id")]
FallbackLimit = Annotated[int, Query(ge=1, le=200)]
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


# ------------------------------------------------------------------ plumbing


def ago(moment: str | None, now: datetime, t: Mapping[str, str]) -> str:
    """'prieš 5 min.' / '5 min ago'-style text of an ISO moment in the texts `t` (console.js keeps it current
    with the same texts)."""
    if not moment:
        return ""
    seconds = max(0, int((now - datetime.fromisoformat(moment)).total_seconds()))
    if seconds < 60:
        return t["ago_just_now"]
    if seconds < 3600:
        return t["ago_minutes"].format(minutes=seconds // 60)
    if seconds < 86400:
        return t["ago_hours"].format(hours=seconds // 3600, minutes=seconds % 3600 // 60)
    return t["ago_days"].format(days=seconds // 86400)


@cache
def texts_json(language: str) -> str:
    """Every console text in `language` as JSON, for scripts (base.html's `data-texts`: data, not code)."""
    return json.dumps(dict(texts(language)), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def render(name: str, status: int = 200, language: str = DEFAULT_LANGUAGE, **context: Any) -> HTMLResponse:
    """A page in the agent's `language` (its texts as `t`, bot/core/console/texts; as JSON for console.js).
    `here`, when given, is where the header's language switch comes back to (else the page's own address)."""
    page = templates.get_template(name).render(t=texts(language), language=language,
                                               texts_json=texts_json(language), admin_role=ADMIN_ROLE, **context)
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def say(request: Request, key: str, **values: Any) -> str:
    """The console text `key` in the request's language, its `{placeholders}` filled."""
    return texts(language_of(request))[key].format(**values)


def refusal(request: Request, refused: ServiceError) -> str:
    """A service's refusal in the agent's language (`error_<code>`; its own message for a code without one)."""
    key = f"error_{refused.code}"
    if key in texts(language_of(request)):
        return say(request, key)
    return refused.message or refused.code


def wants_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def error(request: Request, status: int, code: str, message: str) -> Response:
    """JSON for console.js; a small page for a plain form."""
    if wants_json(request) or request.method == "GET":
        return problem_response(status, code, message, headers={"Cache-Control": "no-store"})
    return render("error.html", status=status, language=language_of(request), message=message, code=code,
                  here="/agent")


async def body_fields(request: Request) -> dict[str, str]:
    """The fields of a JSON object or a urlencoded form (up to MAX_BODY bytes; anything else is empty)."""
    if request.method != "POST":
        return {}
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ServiceError(413, "too_large", say(request, "error_too_large"))
        chunks.append(chunk)
    raw = b"".join(chunks).decode("utf-8", "replace")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(
            data, dict) else {}
    if kind == "application/x-www-form-urlencoded":
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    return {}


FieldsDep = Annotated[dict[str, str], Depends(body_fields)]


def signed_in(request: Request, session: Session) -> sec.SignedIn | None:
    return sec.find_session(session, request.cookies.get(sec.SESSION_COOKIE), now_of(request))


def require_agent(request: Request, session: SessionDep) -> sec.SignedIn:
    """The signed-in agent of a GET that answers JSON or a stream; 401 otherwise."""
    who = signed_in(request, session)
    if who is None:
        raise ServiceError(401, "not_signed_in", say(request, "error_not_signed_in"))
    return who


def acting_agent(request: Request, session: SessionDep, fields: FieldsDep) -> sec.SignedIn:
    """The signed-in agent of a state-changing request, with the session's CSRF token: 401 without a session
    (a plain form is sent to the sign-in page), 403 with a missing or wrong token."""
    who = signed_in(request, session)
    if who is None:
        if wants_json(request):
            raise ServiceError(401, "not_signed_in", say(request, "error_not_signed_in"))
        raise HTTPException(status_code=303, headers={"Location": "/agent/sign-in"})
    given = request.headers.get(sec.CSRF_HEADER) or fields.get(sec.CSRF_FIELD)
    if not sec.same_token(who.csrf_token, given):
        raise ServiceError(403, "csrf_failed", say(request, "error_csrf_failed"))
    return who


def admin_refusal(request: Request, who: sec.SignedIn | None, as_json: bool = False) -> Response | None:
    """None for a signed-in admin. Otherwise the answer to an admin page (the analytics, docs/analytics.md): the
    signed-out go to the sign-in page (401 for JSON), an agent gets 403 in their language (a page, or JSON)."""
    if who is None:
        if as_json:
            return problem_response(401, "not_signed_in", "Please sign in.", headers={"Cache-Control": "no-store"})
        return RedirectResponse("/agent/sign-in", status_code=303)
    if who.agent.role == ADMIN_ROLE:
        return None
    language = language_of(request)
    message = texts(language)["dashboard_admins_only"]
    if as_json:
        return problem_response(403, "admins_only", message, headers={"Cache-Control": "no-store"})
    return render("error.html", status=403, language=language, code="admins_only", message=message,
                  agent=who.agent, csrf_token=who.csrf_token)


def require_admin(request: Request, session: SessionDep) -> sec.SignedIn:
    """The signed-in admin of a GET that answers JSON: 401 signed out, 403 `admins_only` for an agent."""
    who = signed_in(request, session)
    if who is None:
        raise ServiceError(401, "not_signed_in", "Please sign in.")
    if who.agent.role != ADMIN_ROLE:
        raise ServiceError(403, "admins_only", texts(language_of(request))["dashboard_admins_only"])
    return who


AgentDep = Annotated[sec.SignedIn, Depends(require_agent)]
AdminDep = Annotated[sec.SignedIn, Depends(require_admin)]
ActingDep = Annotated[sec.SignedIn, Depends(acting_agent)]


def handoff_of(request: Request) -> worker.Handoff:
    return request.app.state.handoff


def throttle_of(request: Request) -> Throttle:
    """The app's sign-in throttle (made at start-up in bot/core/main.py: shared in Redis, or this process's)."""
    return request.app.state.sign_in_throttle


def _peer(request: Request) -> str | None:
    return request.client.host if request.client else None


def client_address(request: Request) -> str:
    """The socket peer, or the client a trusted proxy forwarded (CORE_TRUSTED_PROXIES, bot/core/proxies.py)."""
    trusted = settings_of(request).trusted_proxies
    return proxies.client_address(_peer(request), request.headers.getlist("x-forwarded-for"), trusted)


def _cookie_secure(request: Request) -> bool:
    trusted = settings_of(request).trusted_proxies
    forwarded = request.headers.get("x-forwarded-proto")
    return proxies.scheme(_peer(request), request.url.scheme, forwarded, trusted) == "https"


def wait_text(request: Request, seconds: int) -> str:
    """'Bandykite dar kartą po 8 s.' / 'Try again in 15 min.'"""
    if seconds < 60:
        return say(request, "sign_in_wait_seconds", seconds=seconds)
    return say(request, "sign_in_wait_minutes", minutes=ceil(seconds / 60))


# ------------------------------------------------------------------ sign-in and sign-out


def sign_in_page(request: Request, status: int = 200, message: str | None = None,
                 username: str = "") -> HTMLResponse:
    token = sec.new_sign_in_token()
    response = render("sign_in.html", status=status, language=language_of(request), csrf_token=token,
                      message=message, username=username, here="/agent/sign-in")
    response.set_cookie(sec.SIGN_IN_CSRF_COOKIE, token, max_age=3600, path="/agent", httponly=True,
                        samesite="strict", secure=_cookie_secure(request))
    return response


@router.get("/sign-in")
def get_sign_in(request: Request, session: SessionDep) -> Response:
    if signed_in(request, session) is not None:
        return RedirectResponse("/agent", status_code=303)
    return sign_in_page(request)


@router.post("/sign-in")
def post_sign_in(request: Request, session: SessionDep, fields: FieldsDep) -> Response:
    """Username and password (a form); a wrong pair never says which part was wrong."""
    if not sec.same_token(request.cookies.get(sec.SIGN_IN_CSRF_COOKIE, ""), fields.get(sec.CSRF_FIELD)):
        return sign_in_page(request, 403, say(request, "sign_in_expired"))
    username = fields.get("username", "")
    throttle, who_tries = throttle_of(request), (sec.normal_username(username)[:200], client_address(request))
    wait = throttle.attempt(*who_tries, now_of(request))  # counted as a failure until it succeeds
    if wait:
        message = say(request, "sign_in_throttled", wait=wait_text(request, wait))
        page = sign_in_page(request, 429, message, username=username[:64])
        page.headers["Retry-After"] = str(wait)
        return page
    agent = sec.authenticate(session, username, fields.get("password", ""))
    if agent is None:
        return sign_in_page(request, 401, say(request, "sign_in_wrong"), username=username[:64])
    throttle.succeeded(*who_tries, attempted=True)
    hours = settings_of(request).handoff.agent_session_hours
    token, _ = sec.start_session(session, agent, now_of(request), hours)
    response = RedirectResponse("/agent", status_code=303)
    response.set_cookie(sec.SESSION_COOKIE, token, max_age=int(hours * 3600),
                        path="/agent", httponly=True, samesite="strict", secure=_cookie_secure(request))
    response.delete_cookie(sec.SIGN_IN_CSRF_COOKIE, path="/agent")
    return response


@router.post("/sign-out")
def post_sign_out(request: Request, session: SessionDep, who: ActingDep) -> Response:
    """Ends the session on the server (the cookie alone is worthless afterwards)."""
    sec.end_session(session, who.session_id)
    response: Response
    if wants_json(request):
        response = JSONResponse({"signed_out": True})
    else:
        response = RedirectResponse("/agent/sign-in", status_code=303)
    response.delete_cookie(sec.SESSION_COOKIE, path="/agent", httponly=True, samesite="strict",
                           secure=_cookie_secure(request))
    return response


# ------------------------------------------------------------------ the console's language


def same_site_path(target: str | None) -> str:
    """`target` when it is a console address on this site (a path under /agent, with its query), else /agent:
    the language switch never redirects anywhere else."""
    if not target or len(target) > 2000 or any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/agent"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.fragment or not target.startswith("/agent"):
        return "/agent"
    if parts.path != "/agent" and not parts.path.startswith("/agent/"):
        return "/agent"
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in parts.path.split("/")):
        return "/agent"  # a browser would resolve it to somewhere outside the console
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@router.post("/language")
def post_language(request: Request, session: SessionDep, fields: FieldsDep) -> Response:
    """The header's language switch (a form): remembers `language` in the console_language cookie and goes back
    to `next` (same_site_path). Its CSRF token is the session's when signed in, else the sign-in form's."""
    who = signed_in(request, session)
    expected = who.csrf_token if who else request.cookies.get(sec.SIGN_IN_CSRF_COOKIE, "")
    if not sec.same_token(expected, fields.get(sec.CSRF_FIELD)):
        return error(request, 403, "csrf_failed", say(request, "error_csrf_failed"))
    language = fields.get("language", "")
    if language not in LANGUAGES:
        return error(request, 422, "invalid_language", say(request, "error_invalid_language"))
    response = RedirectResponse(same_site_path(fields.get("next")), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, path="/agent", httponly=True,
                        samesite="strict", secure=_cookie_secure(request))
    return response


# ------------------------------------------------------------------ pages


@router.get("")
def queue_page(request: Request, session: SessionDep) -> Response:
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    now, language = now_of(request), language_of(request)
    return render("queue.html", language=language, agent=who.agent, csrf_token=who.csrf_token, here="/agent",
                  queue=views.queue(session, who.agent.id), ago=lambda m: ago(m, now, texts(language)))


@router.get("/escalations/{escalation_id}")
def escalation_page(escalation_id: EscalationId, request: Request, session: SessionDep) -> Response:
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    escalation = session.get(Escalation, escalation_id)
    language = language_of(request)
    if escalation is None:
        return render("error.html", status=404, language=language, code="no_such_escalation",
                      message=say(request, "error_no_such_escalation"), agent=who.agent, csrf_token=who.csrf_token,
                      here="/agent")
    now, detail = now_of(request), views.detail(session, escalation, who.agent.id)
    detail["messages"] = shown_messages(detail["messages"], texts(language))
    return render("escalation.html", language=language, agent=who.agent, csrf_token=who.csrf_token,
                  **detail, max_reply=MAX_REPLY, max_note=MAX_NOTE,
                  ago=lambda m: ago(m, now, texts(language)), here=f"/agent/escalations/{escalation_id}")


@router.get("/fallbacks")
def fallbacks_page(request: Request, session: SessionDep, before_id: BeforeId = None) -> Response:
    """The messages the assistant did not understand, newest first, FALLBACKS_PER_PAGE at a time."""
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    here = f"/agent/fallbacks?before_id={before_id}" if before_id else "/agent/fallbacks"
    return render("fallbacks.html", language=language_of(request), agent=who.agent, csrf_token=who.csrf_token,
                  before_id=before_id, here=here, **views.fallbacks(session, FALLBACKS_PER_PAGE, before_id))


@router.get("/static/{path:path}")
def static_asset(path: str) -> FileResponse:
    """The console's scripts and style sheet (bot/core/static_files.py)."""
    return ASSETS.response(path)


# ------------------------------------------------------------------ JSON


@router.get("/api/queue")
def queue_json(session: SessionDep, who: AgentDep) -> JSONResponse:
    return JSONResponse(views.queue(session, who.agent.id), headers={"Cache-Control": "no-store"})


@router.get("/api/escalations/{escalation_id}")
def escalation_json(
    escalation_id: EscalationId, request: Request, session: SessionDep, who: AgentDep
) -> Response:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return error(request, 404, "no_such_escalation", say(request, "error_no_such_escalation"))
    detail = views.detail(session, escalation, who.agent.id)
    detail["messages"] = shown_messages(detail["messages"], texts(language_of(request)))
    return JSONResponse(detail, headers={"Cache-Control": "no-store"})


@router.get("/api/fallbacks")
def fallbacks_json(session: SessionDep, who: AgentDep, limit: FallbackLimit = FALLBACKS_PER_PAGE,
                   before_id: BeforeId = None) -> JSONResponse:
    """`{"fallbacks": [...], "next_before_id": id | null}`: newest first; the next page with `before_id`."""
    return JSONResponse(views.fallbacks(session, limit, before_id), headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------ actions


def done(request: Request, escalation_id: int, body: dict[str, Any], status: int = 200) -> Response:
    if wants_json(request):
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    return RedirectResponse(f"/agent/escalations/{escalation_id}", status_code=303)


@router.post("/escalations/{escalation_id}/claim")
def claim(escalation_id: EscalationId, request: Request, session: SessionDep, who: ActingDep) -> Response:
    """Exactly one agent gets a waiting escalation; any later claim is 409 `already_claimed`."""
    try:
        escalation = service.claim(session, escalation_id, who.agent, now_of(request))
    except ServiceError as refused:
        return error(request, refused.status, refused.code,
                     claim_refusal(request, session, escalation_id, refused, who.agent.id))
    return done(request, escalation_id, {"escalation": views.escalation_item(
        escalation, views.agent_names(session), who.agent.id)})


def claim_refusal(request: Request, session: Session, escalation_id: int, refused: ServiceError, me: int) -> str:
    """A refused claim in the agent's language; `already_claimed` names who has the escalation."""
    escalation = session.get(Escalation, escalation_id)
    if refused.code != "already_claimed" or escalation is None:
        return refusal(request, refused)
    if escalation.claimed_by == me:
        return say(request, "error_already_claimed_by_you")
    name = service.agent_name(session, escalation.claimed_by) or say(request, "error_another_agent")
    return say(request, "error_already_claimed", name=name)


@router.post("/escalations/{escalation_id}/messages")
def reply(escalation_id: EscalationId, request: Request, session: SessionDep, who: ActingDep,
          fields: FieldsDep, background: BackgroundTasks) -> Response:
    """The claiming agent's reply: stored, then Rasa is asked to deliver it (retried until it is)."""
    text = fields.get("text", "").strip()
    if not text or len(text) > MAX_REPLY:
        return error(request, 422, "invalid_text", say(request, "error_invalid_text", max=MAX_REPLY))
    try:
        message = service.add_agent_message(session, escalation_id, who.agent, text, now_of(request))
    except ServiceError as refused:
        return error(request, refused.status, refused.code, refusal(request, refused))
    background.add_task(worker.push, handoff_of(request), escalation_id)
    names = {who.agent.id: who.agent.display_name}
    return done(request, escalation_id, {"message": views.message_item(message, names)}, status=201)


@router.post("/escalations/{escalation_id}/close")
def close(escalation_id: EscalationId, request: Request, session: SessionDep, who: ActingDep,
          fields: FieldsDep, background: BackgroundTasks) -> Response:
    """The claiming agent closes with a resolution note; Rasa resumes the conversation (retried until it
    has)."""
    note = fields.get("resolution_note", "").strip()
    if not note or len(note) > MAX_NOTE:
        return error(request, 422, "invalid_note", say(request, "error_invalid_note", max=MAX_NOTE))
    try:
        escalation = service.close(session, escalation_id, who.agent, note, now_of(request))
    except ServiceError as refused:
        return error(request, refused.status, refused.code, refusal(request, refused))
    background.add_task(worker.push, handoff_of(request), escalation_id)
    return done(request, escalation_id, {"escalation": views.escalation_item(
        escalation, views.agent_names(session), who.agent.id)})


# ------------------------------------------------------------------ live updates (Server-Sent Events)


def _event(name: str, data: Any, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _queue_state(request: Request, session_id: int, agent_id: int) -> dict[str, Any] | None:
    with request.app.state.sessions() as session:
        if not sec.session_is_valid(session, session_id, now_of(request)):
            return None
        return views.queue(session, agent_id)


def _escalation_state(request: Request, session_id: int, agent_id: int, escalation_id: int,
                      after_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    with request.app.state.sessions() as session:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None or not sec.session_is_valid(session, session_id, now_of(request)):
            return None
        item = views.escalation_item(escalation, views.agent_names(session), agent_id)
        item["can_reply"] = escalation.status == "claimed" and escalation.claimed_by == agent_id
        item["undelivered"] = service.undelivered_ids(session, escalation.conversation_id)
        return item, shown_messages(views.messages(session, escalation_id, after_id), texts(language_of(request)))


def _stream(request: Request, rounds: AsyncIterator[str]) -> StreamingResponse:
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"}
    return StreamingResponse(rounds, media_type="text/event-stream", headers=headers)


async def _rounds(request: Request, produce: Any) -> AsyncIterator[str]:
    """`produce()` (in a thread) each poll until the stream's time is up; a round yielding None ends the
    stream with `signed-out`. The browser's EventSource reconnects after the end."""
    settings = settings_of(request).handoff
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.console_stream_seconds
    quiet_since = loop.time()
    yield "retry: 2000\n\n"
    while True:
        chunks = await asyncio.to_thread(produce)
        if chunks is None:
            yield _event("signed-out", {})
            return
        for chunk in chunks:
            quiet_since = loop.time()
            yield chunk
        if loop.time() >= deadline or await request.is_disconnected():
            return
        if loop.time() - quiet_since >= HEARTBEAT_SECONDS:
            quiet_since = loop.time()
            yield ": keep-alive\n\n"
        await asyncio.sleep(settings.console_poll_seconds)


@router.get("/events")
def queue_events(request: Request, who: AgentDep) -> StreamingResponse:
    """`queue` events: the whole queue, whenever it changes (first at once)."""
    last: list[str] = [""]

    def produce() -> list[str] | None:
        state = _queue_state(request, who.session_id, who.agent.id)
        if state is None:
            return None
        text = json.dumps(state, sort_keys=True)
        if text == last[0]:
            return []
        last[0] = text
        return [_event("queue", state)]

    return _stream(request, _rounds(request, produce))


@router.get("/escalations/{escalation_id}/events")
def escalation_events(escalation_id: EscalationId, request: Request, session: SessionDep, who: AgentDep,
                      after: int = 0) -> Response:
    """`message` events (id = the message's, so a reconnecting browser resumes with Last-Event-ID) for the
    messages after `after`, and `escalation` events when its state changes (first at once)."""
    if session.get(Escalation, escalation_id) is None:
        return error(request, 404, "no_such_escalation", say(request, "error_no_such_escalation"))
    last_id = request.headers.get("last-event-id", "")
    cursor = [int(last_id) if last_id.isdigit() and len(last_id) < 19 else max(0, min(after, 2**62)), ""]

    def produce() -> list[str] | None:
        state = _escalation_state(request, who.session_id, who.agent.id, escalation_id, int(cursor[0]))
        if state is None:
            return None
        item, new = state
        chunks = [_event("message", m, m["id"]) for m in new]
        if new:
            cursor[0] = max(m["id"] for m in new)
        text = json.dumps(item, sort_keys=True)
        if text != cursor[1]:
            cursor[1] = text
            chunks.append(_event("escalation", item))
        return chunks

    return _stream(request, _rounds(request, produce))
