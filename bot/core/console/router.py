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
from collections.abc import AsyncIterator
from datetime import datetime
from math import ceil
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

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
from bot.core.console.texts import language_of, texts
from bot.core.console.throttle import Throttle
from bot.core.db.models import ADMIN_ROLE, Escalation
from bot.core.deps import SessionDep, now_of, settings_of
from bot.core.errors import ServiceError
from bot.core.handoff import service, worker
from bot.core.http_errors import problem_response
from bot.core.security_headers import content_security_policy, security_headers
from bot.core.static_files import StaticFiles
from bot.core.templating import template_environment
from bot.vocabulary import DEFAULT_LANGUAGE

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


# ------------------------------------------------------------------ plumbing


def ago(moment: str | None, now: datetime) -> str:
    """'5 min ago'-style text of an ISO moment (console.js keeps it current)."""
    if not moment:
        return ""
    seconds = max(0, int((now - datetime.fromisoformat(moment)).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"
    return f"{seconds // 86400} d ago"


def render(name: str, status: int = 200, language: str = DEFAULT_LANGUAGE, **context: Any) -> HTMLResponse:
    """A page in the agent's `language` (its texts as `t`, bot/core/console/texts)."""
    return HTMLResponse(templates.get_template(name).render(t=texts(language), language=language, **context),
                        status_code=status, headers=SECURITY_HEADERS)


def wants_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def error(request: Request, status: int, code: str, message: str) -> Response:
    """JSON for console.js; a small page for a plain form."""
    if wants_json(request) or request.method == "GET":
        return problem_response(status, code, message, headers={"Cache-Control": "no-store"})
    return render("error.html", status=status, message=message, code=code)


async def body_fields(request: Request) -> dict[str, str]:
    """The fields of a JSON object or a urlencoded form (up to MAX_BODY bytes; anything else is empty)."""
    if request.method != "POST":
        return {}
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ServiceError(413, "too_large", "The request is too large.")
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
        raise ServiceError(401, "not_signed_in", "Please sign in.")
    return who


def acting_agent(request: Request, session: SessionDep, fields: FieldsDep) -> sec.SignedIn:
    """The signed-in agent of a state-changing request, with the session's CSRF token: 401 without a session
    (a plain form is sent to the sign-in page), 403 with a missing or wrong token."""
    who = signed_in(request, session)
    if who is None:
        if wants_json(request):
            raise ServiceError(401, "not_signed_in", "Please sign in.")
        raise HTTPException(status_code=303, headers={"Location": "/agent/sign-in"})
    given = request.headers.get(sec.CSRF_HEADER) or fields.get(sec.CSRF_FIELD)
    if not sec.same_token(who.csrf_token, given):
        raise ServiceError(403, "csrf_failed", "The page is out of date: reload it and try again.")
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


def wait_text(seconds: int) -> str:
    """'Try again in 8 s.' / 'Try again in 15 min.'"""
    return f"Try again in {seconds} s." if seconds < 60 else f"Try again in {ceil(seconds / 60)} min."


# ------------------------------------------------------------------ sign-in and sign-out


def sign_in_page(request: Request, status: int = 200, message: str | None = None,
                 username: str = "") -> HTMLResponse:
    token = sec.new_sign_in_token()
    response = render("sign_in.html", status=status, csrf_token=token, message=message, username=username)
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
        return sign_in_page(request, 403, "The sign-in form had expired. Please try again.")
    username = fields.get("username", "")
    throttle, who_tries = throttle_of(request), (sec.normal_username(username)[:200], client_address(request))
    wait = throttle.attempt(*who_tries, now_of(request))  # counted as a failure until it succeeds
    if wait:
        page = sign_in_page(request, 429, f"Too many failed sign-ins. {wait_text(wait)}", username=username[:64])
        page.headers["Retry-After"] = str(wait)
        return page
    agent = sec.authenticate(session, username, fields.get("password", ""))
    if agent is None:
        return sign_in_page(request, 401, "Wrong username or password.", username=username[:64])
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


# ------------------------------------------------------------------ pages


@router.get("")
def queue_page(request: Request, session: SessionDep) -> Response:
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    now = now_of(request)
    return render("queue.html", agent=who.agent, csrf_token=who.csrf_token,
                  queue=views.queue(session, who.agent.id), ago=lambda m: ago(m, now))


@router.get("/escalations/{escalation_id}")
def escalation_page(escalation_id: EscalationId, request: Request, session: SessionDep) -> Response:
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return render("error.html", status=404, code="no_such_escalation",
                      message="There is no such escalation.", agent=who.agent, csrf_token=who.csrf_token)
    now = now_of(request)
    return render("escalation.html", agent=who.agent, csrf_token=who.csrf_token,
                  **views.detail(session, escalation, who.agent.id), max_reply=MAX_REPLY, max_note=MAX_NOTE,
                  ago=lambda m: ago(m, now))


@router.get("/fallbacks")
def fallbacks_page(request: Request, session: SessionDep, before_id: BeforeId = None) -> Response:
    """The messages the assistant did not understand, newest first, FALLBACKS_PER_PAGE at a time."""
    who = signed_in(request, session)
    if who is None:
        return RedirectResponse("/agent/sign-in", status_code=303)
    return render("fallbacks.html", agent=who.agent, csrf_token=who.csrf_token, before_id=before_id,
                  **views.fallbacks(session, FALLBACKS_PER_PAGE, before_id))


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
        return error(request, 404, "no_such_escalation", "There is no such escalation.")
    return JSONResponse(views.detail(session, escalation, who.agent.id),
                        headers={"Cache-Control": "no-store"})


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
        return error(request, refused.status, refused.code, refused.message)
    return done(request, escalation_id, {"escalation": views.escalation_item(
        escalation, views.agent_names(session), who.agent.id)})


@router.post("/escalations/{escalation_id}/messages")
def reply(escalation_id: EscalationId, request: Request, session: SessionDep, who: ActingDep,
          fields: FieldsDep, background: BackgroundTasks) -> Response:
    """The claiming agent's reply: stored, then Rasa is asked to deliver it (retried until it is)."""
    text = fields.get("text", "").strip()
    if not text or len(text) > MAX_REPLY:
        return error(request, 422, "invalid_text", f"Write a reply of 1 to {MAX_REPLY} characters.")
    try:
        message = service.add_agent_message(session, escalation_id, who.agent, text, now_of(request))
    except ServiceError as refused:
        return error(request, refused.status, refused.code, refused.message)
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
        return error(request, 422, "invalid_note", f"Write a resolution note of 1 to {MAX_NOTE} characters.")
    try:
        escalation = service.close(session, escalation_id, who.agent, note, now_of(request))
    except ServiceError as refused:
        return error(request, refused.status, refused.code, refused.message)
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
        return item, views.messages(session, escalation_id, after_id)


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
        return error(request, 404, "no_such_escalation", "There is no such escalation.")
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
