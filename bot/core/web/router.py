"""The public support page at `/` with its chat widget, and the demo sign-in.

No service key here: the page, its assets and the demo sign-in are for browsers. The widget talks to Rasa's
socket.io channel directly (RASA_SOCKET_URL); every message it sends carries the page language and, for a
signed-in customer, the `customer_token` in its metadata (`customData`). Whoever holds a token is checked
again on every turn: the actions pass it to the core's /me routes, which verify the signature and expiry.

`GET /chat/{conversation_id}/agent-messages` gives the widget the agents' replies of a human handoff that it
may have missed while the page was closed (they are pushed through socket.io only to an open page).
`POST /chat/{conversation_id}/left` (the widget's "new conversation") tells the agent of an open escalation that
the customer has gone. Conversation ids are guessable outside the web chat (phone numbers, REST senders), so both
routes want proof of ownership: the `X-Conversation-Key` header, the key Rasa's socket.io channel gives the widget
with every `session_confirm` (bot/conversation_ids.py: an HMAC of the id under CHAT_KEY_SECRET). A missing or wrong
key is 404 `no_conversation` and changes nothing, whether the conversation exists or not. The owner of a
conversation never handed over gets no replies (200, empty) and leaving it changes nothing (204).

Demo sign-in (`POST /demo/sign-in`) mints a short-lived token for one of the seeded demo customers, only when
demo mode is on (CORE_DEMO_MODE=true, set by `make run`; off by default): 404 otherwise.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.security import APIKeyHeader
from markupsafe import Markup
from pydantic import BaseModel, Field

from bot.conversation_ids import is_conversation_key
from bot.core.clock import utc_now
from bot.core.config import Settings
from bot.core.demo import DEMOS
from bot.core.deps import ConversationId, NowDep, SessionDep, settings_of
from bot.core.errors import ServiceError
from bot.core.handoff.service import customer_left, sent_replies
from bot.core.security_headers import content_security_policy, security_headers
from bot.core.static_files import StaticFiles
from bot.core.templating import template_environment
from bot.core.tokens import make_customer_token
from bot.core.web.texts import TEXTS
from bot.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# Built by `make` from the npm registry's socket.io-client (web/package-lock.json); never fetched at run time.
VENDOR_DIR = ROOT / "build" / "static"
# The widget's modules and style sheets (nested folders too), and the socket.io client.
ASSETS = StaticFiles(HERE / "static", {"socket.io.min.js": VENDOR_DIR / "socket.io.min.js"})
LANGUAGE_COOKIE = "chat_lang"
DEMO_TOKEN_LIFETIME = timedelta(hours=8)
DEMO_IDS = tuple(demo.id for demo in DEMOS)
MAX_MESSAGE_LENGTH = 2000  # MAX_MESSAGE_CHARACTERS of bot/vocabulary.py: the limit of every channel
templates = template_environment(HERE / "templates", strict=True)

router = APIRouter()


def _security_headers(settings: Settings) -> dict[str, str]:
    """A strict policy: own scripts and styles only; connections to the core and to Rasa's socket.io."""
    rasa = urlsplit(settings.rasa_socket_url)
    socket_scheme = "wss" if rasa.scheme == "https" else "ws"
    policy = content_security_policy({
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
        "img-src": "'self' data: https:",
        "connect-src": f"'self' {rasa.scheme}://{rasa.netloc} {socket_scheme}://{rasa.netloc}",
        "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'self'", "object-src": "'none'",
    })
    return security_headers(policy, referrer="same-origin", cache="no-cache")


def _json_for_html(value: Any) -> Markup:
    """JSON that is safe inside a <script type="application/json"> element (no <, > or & in it)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def page_language(query: str | None, cookie: str | None) -> str:
    """?lang=, else the language chosen earlier (cookie), else Lithuanian."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE


def render_page(settings: Settings, language: str) -> str:
    """The page in `language`; both text tables go to the widget for switching without a reload."""
    config = {
        "language": language,
        "languages": list(LANGUAGES),
        "socketUrl": settings.rasa_socket_url,
        "demoMode": settings.demo_mode,
        "demoCustomers": list(DEMO_IDS) if settings.demo_mode else [],
        "maxMessageLength": MAX_MESSAGE_LENGTH,
        "texts": TEXTS,
    }
    return templates.get_template("index.html").render(
        lang=language,
        t=TEXTS[language],
        config=_json_for_html(config),
        demo_mode=settings.demo_mode,
        demo_ids=DEMO_IDS,
        max_length=MAX_MESSAGE_LENGTH,
    )


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False)
def support_page(
    request: Request,
    lang: Annotated[str | None, Query(max_length=5)] = None,
    chosen: Annotated[str | None, Cookie(alias=LANGUAGE_COOKIE, max_length=5)] = None,
) -> HTMLResponse:
    """The support page (public)."""
    settings = settings_of(request)
    language = page_language(lang, chosen)
    return HTMLResponse(render_page(settings, language), headers=_security_headers(settings))


@router.get("/static/{path:path}", include_in_schema=False)
def static_asset(path: str) -> FileResponse:
    """The widget's scripts and style sheets (nested paths too), and the socket.io client built by `make`."""
    return ASSETS.response(path)


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
        raise ServiceError(404, "demo_mode_off", "Demo mode is off.")


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
        raise ServiceError(403, "not_a_demo_customer", "Only the demo customers can be signed in here.")
    now = utc_now()
    token = make_customer_token(body.customer_id, settings.customer_token_secret, now, DEMO_TOKEN_LIFETIME)
    return DemoToken(customer_id=body.customer_id, customer_token=token, expires_at=now + DEMO_TOKEN_LIFETIME)


# ------------------------------------------------------------------ agents' replies for the web chat


class AgentReply(BaseModel):
    id: int
    text: str
    agent_name: str
    sent_at: datetime


class AgentReplies(BaseModel):
    messages: list[AgentReply] = Field(
        description="the latest replies delivered to the conversation, oldest first"
    )


conversation_key_header = APIKeyHeader(name="X-Conversation-Key", auto_error=False,
                                       description="the conversation's key, from Rasa's session_confirm")


def owned_conversation(
    request: Request, conversation_id: ConversationId,
    key: Annotated[str | None, Depends(conversation_key_header)] = None,
) -> str:
    """The conversation id when X-Conversation-Key proves it the caller's; 404 `no_conversation` otherwise."""
    if not is_conversation_key(settings_of(request).chat_key_secret, conversation_id, key):
        raise ServiceError(404, "no_conversation", "No such conversation.")
    return conversation_id


OwnedConversation = Annotated[str, Depends(owned_conversation)]
NOT_OWNED: dict[int | str, dict[str, Any]] = {404: {"description": "X-Conversation-Key is missing or wrong"}}


@router.get("/chat/{conversation_id:path}/agent-messages", response_model=AgentReplies, tags=["web chat"],
            responses=NOT_OWNED)
def agent_messages(conversation_id: OwnedConversation, session: SessionDep, response: Response) -> AgentReplies:
    """The agents' replies delivered to this conversation (empty when it was never handed over)."""
    response.headers["Cache-Control"] = "no-store"
    return AgentReplies(messages=[AgentReply(id=r.id, text=r.text, agent_name=r.agent_name, sent_at=r.sent_at)
                                  for r in sent_replies(session, conversation_id)])


@router.post("/chat/{conversation_id:path}/left", status_code=204, tags=["web chat"], responses=NOT_OWNED)
def conversation_left(conversation_id: OwnedConversation, session: SessionDep, now: NowDep) -> Response:
    """The customer left this conversation for a new one: noted once for the agent of its open escalation."""
    customer_left(session, conversation_id, now)
    return Response(status_code=204)
