"""The public support page at `/` with its chat widget, and the demo sign-in.

No service key here: the page, its assets and the demo sign-in are for browsers. The widget talks to Rasa's
socket.io channel directly (RASA_SOCKET_URL); every message it sends carries the page language and, for a
signed-in customer, the `customer_token` in its metadata (`customData`). Whoever holds a token is checked again
on every turn: the actions pass it to the core's /me routes, which verify the signature and expiry.

`GET /chat/{conversation_id}/agent-messages` gives the widget the agents' replies of a human handoff that it
may have missed while the page was closed (they are pushed through socket.io only to an open page). The
conversation id is the random session id the browser keeps; it is all the widget needs to rejoin its socket.io
room as well, so this route reveals nothing that id does not already give. `POST /chat/{conversation_id}/left`
(the widget's "new conversation") tells the agent of an open escalation that the customer has gone.

Demo sign-in (`POST /demo/sign-in`) mints a short-lived token for one of the seeded demo customers, only when
demo mode is on (CORE_DEMO_MODE=true, set by `make run`; off by default): 404 otherwise.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field

from bot.core.api.auth import make_customer_token, settings_of
from bot.core.api.dependencies import NowDep, SessionDep
from bot.core.config import Settings
from bot.core.handoff.api import ConversationId
from bot.core.handoff.service import customer_left, sent_replies
from bot.core.seed import DEMOS
from bot.core.web.texts import DEFAULT_LANGUAGE, LANGUAGES, TEXTS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# Built by `make` from the npm registry's socket.io-client (web/package-lock.json); never fetched at run time.
VENDOR_DIR = ROOT / "build" / "static"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Every script (ES modules in nested folders) and style sheet of static/, by its path under /static/.
ASSETS: dict[str, tuple[Path, str]] = {
    path.relative_to(HERE / "static").as_posix(): (path, MEDIA_TYPES[path.suffix])
    for path in sorted((HERE / "static").rglob("*")) if path.suffix in MEDIA_TYPES and path.is_file()
}
ASSETS["socket.io.min.js"] = (VENDOR_DIR / "socket.io.min.js", MEDIA_TYPES[".js"])
LANGUAGE_COOKIE = "chat_lang"
DEMO_TOKEN_LIFETIME = timedelta(hours=8)
DEMO_IDS = tuple(demo.id for demo in DEMOS)
MAX_MESSAGE_LENGTH = 1000
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)(?::(\w+))?\s*\}\}")

router = APIRouter()


def _security_headers(settings: Settings) -> dict[str, str]:
    """A strict policy: own scripts and styles only; connections to the core and to Rasa's socket.io."""
    rasa = urlsplit(settings.rasa_socket_url)
    socket_scheme = "wss" if rasa.scheme == "https" else "ws"
    connect = f"'self' {rasa.scheme}://{rasa.netloc} {socket_scheme}://{rasa.netloc}"
    policy = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


@lru_cache(maxsize=1)
def _template() -> str:
    return (HERE / "templates" / "index.html").read_text(encoding="utf-8")


def _json_for_html(value: Any) -> str:
    """JSON that is safe inside a <script type="application/json"> element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page_language(query: str | None, cookie: str | None) -> str:
    """?lang=, else the language chosen earlier (cookie), else Lithuanian."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def render_page(settings: Settings, language: str) -> str:
    """The page in `language`; both text tables go to the widget for switching without a reload."""
    texts = TEXTS[language]
    config = {
        "language": language,
        "languages": list(LANGUAGES),
        "socketUrl": settings.rasa_socket_url,
        "demoMode": settings.demo_mode,
        "demoCustomers": list(DEMO_IDS) if settings.demo_mode else [],
        "maxMessageLength": MAX_MESSAGE_LENGTH,
        "texts": TEXTS,
    }
    values = {
        "lang": language,
        "config": _json_for_html(config),
        "hidden_lt": "" if language == "lt" else "hidden",
        "hidden_en": "" if language == "en" else "hidden",
        "hidden_demo": "" if settings.demo_mode else "hidden",
        "pressed_lt": "true" if language == "lt" else "false",
        "pressed_en": "true" if language == "en" else "false",
        "demo_options": "".join(
            f'<option value="{html.escape(id_)}">{html.escape(id_)}</option>' for id_ in DEMO_IDS
        ),
        "max_length": str(MAX_MESSAGE_LENGTH),
    }

    def fill(match: re.Match[str]) -> str:
        kind, key = match.group(1), match.group(2)
        if kind == "t" and key:
            return html.escape(texts[key])
        return values[kind]

    return _PLACEHOLDER.sub(fill, _template())


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def support_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    chat_lang: Annotated[str | None, Cookie(max_length=5)] = None,
) -> HTMLResponse:
    """The support page (public)."""
    settings = settings_of(request)
    language = page_language(lang, chat_lang)
    return HTMLResponse(render_page(settings, language), headers=_security_headers(settings))


@router.get("/static/{name:path}", include_in_schema=False)
def static_asset(name: str) -> FileResponse:
    """The widget's modules and style sheet, the helpers shared with the console, the socket.io client."""
    asset = ASSETS.get(name)
    if asset is None or not asset[0].is_file():
        raise HTTPException(status_code=404, detail={"code": "not_found"})
    path, media_type = asset
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    )


# ------------------------------------------------------------------ demo sign-in


class DemoSignIn(BaseModel):
    customer_id: str = Field(min_length=1, max_length=100)


class DemoToken(BaseModel):
    customer_id: str
    customer_token: str
    expires_at: datetime


class DemoCustomers(BaseModel):
    customers: list[str]


def _require_demo_mode(settings: Settings) -> None:
    if not settings.demo_mode:
        raise HTTPException(status_code=404, detail={"code": "demo_mode_off", "message": "Demo mode is off."})


DEMO_ERRORS: dict[int | str, dict[str, Any]] = {403: {"description": "Not a demo customer"},
                                                404: {"description": "Demo mode is off"}}


@router.get("/demo/customers", response_model=DemoCustomers, tags=["demo"], responses=DEMO_ERRORS)
def demo_customers(request: Request) -> DemoCustomers:
    """The demo customers a tester can act as (demo mode only)."""
    _require_demo_mode(settings_of(request))
    return DemoCustomers(customers=list(DEMO_IDS))


@router.post("/demo/sign-in", response_model=DemoToken, tags=["demo"], responses=DEMO_ERRORS)
def demo_sign_in(body: DemoSignIn, request: Request) -> DemoToken:
    """A customer token for a seeded demo customer, signed like every customer token (demo mode only).

    The token only identifies; the core verifies it again on every account request the assistant makes.
    """
    settings = settings_of(request)
    _require_demo_mode(settings)
    if body.customer_id not in DEMO_IDS:
        raise HTTPException(
            status_code=403,
            detail={"code": "not_a_demo_customer", "message": "Only the demo customers can be signed in here."},
        )
    now = datetime.now(UTC)
    token = make_customer_token(body.customer_id, settings.customer_token_secret, now, DEMO_TOKEN_LIFETIME)
    return DemoToken(customer_id=body.customer_id, customer_token=token, expires_at=now + DEMO_TOKEN_LIFETIME)


# ------------------------------------------------------------------ agents' replies for the web chat


class AgentReply(BaseModel):
    id: int
    text: str
    agent_name: str
    sent_at: datetime


class AgentReplies(BaseModel):
    messages: list[AgentReply] = Field(description="the latest replies delivered to the conversation, oldest first")


@router.get("/chat/{conversation_id}/agent-messages", response_model=AgentReplies, tags=["web chat"])
def agent_messages(conversation_id: ConversationId, session: SessionDep, response: Response) -> AgentReplies:
    """The agents' replies delivered to this conversation (empty when it was never handed over)."""
    response.headers["Cache-Control"] = "no-store"
    return AgentReplies(messages=[AgentReply(id=r.id, text=r.text, agent_name=r.agent_name, sent_at=r.sent_at)
                                  for r in sent_replies(session, conversation_id)])


@router.post("/chat/{conversation_id}/left", status_code=204, tags=["web chat"])
def conversation_left(conversation_id: ConversationId, session: SessionDep, now: NowDep) -> Response:
    """The customer left this conversation for a new one: noted once for the agent of its open escalation."""
    customer_left(session, conversation_id, now)
    return Response(status_code=204)
