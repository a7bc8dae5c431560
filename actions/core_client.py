"""Typed async HTTP client of the core service's API (bot/core/api), as the actions use it: the customer's
account, the support team's escalations, and the log of messages the assistant did not understand.

The whole process shares one aiohttp session (its connection pool), made on first use inside the running event
loop (after Sanic has forked the action server's workers) and closed when the action server stops
(actions/__init__.py). Every call, the connection included, has 5 seconds in all (as each call had with
`requests` before): a core that cannot answer in time is `Unavailable`, like one that fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiohttp
from yarl import URL

from bot.conversation_ids import path_segment
from bot.vocabulary import FALLBACK_INTENT

DEFAULT_URL = "http://127.0.0.1:8000"
TIMEOUT = 5.0  # seconds for a whole call to the core: the connection, the request and the answer
FALLBACK_LOG_TIMEOUT = 2.0  # the fallback log is not worth making a customer wait longer for the reply
MAX_GUESSES = 3
MAX_GUESS_NAME = 100
MAX_LOGGED_TEXT = 10_000  # the core accepts this much; it keeps 1000 characters, redacted

logger = logging.getLogger(__name__)


class CoreError(Exception):
    """The core did not give an answer the assistant can use."""


class Anonymous(CoreError):
    """No valid customer token: the customer is anonymous."""


class NotApproved(CoreError):
    """The customer's business account is not approved yet."""


class Unavailable(CoreError):
    """The core cannot be reached or failed."""


class Missing(CoreError):
    """The thing asked for does not exist (404), e.g. no application was submitted."""


class Rejected(CoreError):
    """The core refused the request as invalid (422/409); `fields` maps field names to error codes."""

    def __init__(self, code: str | None, fields: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields or {}


@dataclass(frozen=True)
class Application:
    company: str
    status: str  # submitted | approved | rejected
    expected_approval_date: date
    rejection_reason: str | None


@dataclass(frozen=True)
class Points:
    balance: int
    invited: bool
    points_to_invitation: int


@dataclass(frozen=True)
class Tier:
    code: str
    annual_fee_eur: str


@dataclass(frozen=True)
class Product:
    name: str
    missing_fields: list[str]
    id: int = 0


@dataclass(frozen=True)
class ProductSaved:
    product: Product
    balance: int
    invited: bool


@dataclass(frozen=True)
class MigrationDone:
    migrated: int
    balance: int


@dataclass(frozen=True)
class Order:
    tier: str
    annual_fee_eur: str
    payment_method: str  # card | bank_transfer
    due_date: date
    membership_number: str
    previous_membership_number: str | None


@dataclass(frozen=True)
class Migration:
    available: bool
    count: int
    old_cps_email_given: bool


@dataclass(frozen=True)
class Escalation:
    """A conversation handed to the support team."""

    id: int
    status: str  # waiting | claimed | closed
    queue_position: int
    estimated_wait_minutes: int
    in_working_hours: bool
    next_opening: datetime | None


@dataclass(frozen=True)
class AgentMessage:
    text: str
    agent_name: str
    id: int | None = None  # the core's message id (the web chat shows each reply once by it)


@dataclass(frozen=True)
class Membership:
    tier: str
    number: str


class SharedSession:
    """One aiohttp session for the process, made on first use in the running event loop and then reused.

    A new one is made only when the loop it was made in is no longer the running one (a test that runs each
    action in an event loop of its own)."""

    def __init__(self, timeout: aiohttp.ClientTimeout) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session, self._loop = aiohttp.ClientSession(timeout=self.timeout), loop
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()
        self._loop = None


SESSION = SharedSession(aiohttp.ClientTimeout(total=TIMEOUT))


async def close_session() -> None:
    """Close the process's session to the core (when the action server stops)."""
    await SESSION.close()


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status < 400

    def json(self) -> Any:
        return json.loads(self.body)

    def error_detail(self) -> dict[str, Any]:
        """The `detail` object of an error answer ({} for a success or an answer without one)."""
        if self.ok:
            return {}
        try:
            detail = self.json().get("detail")
        except (ValueError, AttributeError):
            return {}
        return detail if isinstance(detail, dict) else {}

    def result(self) -> Any:
        """The JSON of a success; Missing for a 404, Unavailable for any other error."""
        code = self.error_detail().get("code")
        if self.status == 404:
            raise Missing(code)
        if not self.ok:
            raise Unavailable(f"{self.status} {code}")
        return self.json()


class CoreClient:
    """Calls the core with the service key and, for account routes, the customer's token."""

    def __init__(self, base_url: str, service_key: str, session: SharedSession = SESSION) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_key = service_key
        self.session = session

    @classmethod
    def from_env(cls) -> CoreClient:
        return cls(os.environ.get("CORE_URL", DEFAULT_URL), os.environ.get("CORE_SERVICE_KEY", ""))

    async def _request(self, method: str, path: str, headers: dict[str, str],
                       body: dict[str, Any] | None = None, timeout: float | None = None) -> _Answer:
        """One call; `timeout` (seconds in all) shortens the session's TIMEOUT for this call."""
        extra = {} if timeout is None else {"timeout": aiohttp.ClientTimeout(total=timeout)}
        try:
            # encoded: the path is sent as it is (yarl would decode "%2E" and drop "." and ".." segments)
            async with self.session.get().request(method, URL(f"{self.base_url}{path}", encoded=True), json=body,
                                                  headers=headers, **extra) as answer:
                return _Answer(answer.status, await answer.read())
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise Unavailable(str(error) or type(error).__name__) from error

    async def _call(self, method: str, path: str, token: str | None, body: dict[str, Any] | None = None,
                    headers: dict[str, str] | None = None) -> Any:
        """A route of the customer's account: the service key and the customer's token."""
        if not token:
            raise Anonymous("no customer token")
        headers = {"X-Service-Key": self.service_key, "X-Customer-Token": token, **(headers or {})}
        answer = await self._request(method, path, headers, body)
        detail = answer.error_detail()
        code = detail.get("code")
        if answer.status == 401 and code == "anonymous":
            raise Anonymous(code)
        if answer.status == 403 and code == "account_not_approved":
            raise NotApproved(code)
        if answer.status in (409, 422):
            raise Rejected(code, detail.get("fields"))
        return answer.result()

    async def _service_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """A route of the support team's side: the service key only, no customer token."""
        return (await self._request(method, path, {"X-Service-Key": self.service_key}, body)).result()

    async def _get(self, path: str, token: str | None) -> Any:
        return await self._call("GET", path, token)

    async def application(self, token: str | None) -> Application:
        data = await self._get("/me/application", token)
        return Application(data["company"], data["status"],
                           date.fromisoformat(data["expected_approval_date"]), data.get("rejection_reason"))

    async def points(self, token: str | None) -> Points:
        data = await self._get("/me/points", token)
        return Points(data["balance"], data["invited"], data["points_to_invitation"])

    async def tiers(self, token: str | None) -> list[Tier]:
        tiers = (await self._get("/me/tiers", token))["tiers"]
        return [Tier(t["code"], str(t["annual_fee_eur"])) for t in tiers]

    async def products_without_tick(self, token: str | None) -> list[Product]:
        products = (await self._get("/me/products", token))["products"]
        return [_product(p) for p in products if not p["has_green_tick"]]

    async def update_product(self, token: str | None, product_id: int,
                             details: dict[str, str]) -> ProductSaved:
        """Save product details (ISO date, ISO country code); Rejected with per-field codes when invalid."""
        data = await self._call("PATCH", f"/me/products/{product_id}", token, body=details)
        return ProductSaved(_product(data["product"]), data["balance"], data["invited"])

    async def migrate(self, token: str | None) -> MigrationDone:
        data = await self._call("POST", "/me/migration", token)
        return MigrationDone(data["migrated"], data["balance"])

    async def place_order(self, token: str | None, tier: str, payment_method: str, key: str) -> Order:
        """Order a CPS membership; the same `key` never places a second order."""
        data = await self._call("POST", "/me/orders", token,
                                body={"tier": tier, "payment_method": payment_method},
                                headers={"Idempotency-Key": key})
        return Order(data["tier"], str(data["annual_fee_eur"]), data["payment"]["method"],
                     date.fromisoformat(data["invoice"]["due_date"]), data["membership"]["number"],
                     data.get("previous_membership_number"))

    async def migration(self, token: str | None) -> Migration:
        data = await self._get("/me/migration", token)
        return Migration(data["available"], data["count"], data["old_cps_email_given"])

    async def membership(self, token: str | None) -> Membership | None:
        current = (await self._get("/me/membership", token)).get("membership")
        return Membership(current["tier"], current["number"]) if current else None

    async def escalate(self, conversation_id: str, channel: str, language: str, reason: str,
                       transcript: list[dict[str, Any]], token: str | None) -> Escalation:
        """Hand the conversation to the support team (the same open escalation when it already is)."""
        body = {"conversation_id": conversation_id, "channel": channel, "language": language,
                "reason": reason, "transcript": transcript, "customer_token": token}
        data = await self._service_call("POST", "/escalations", body)
        opening = data.get("next_opening")
        return Escalation(data["id"], data["status"], data["queue_position"], data["estimated_wait_minutes"],
                          data["in_working_hours"], datetime.fromisoformat(opening) if opening else None)

    async def take_agent_messages(self, conversation_id: str) -> list[AgentMessage]:
        """The agents' replies not yet delivered to the customer (each is handed out once)."""
        path = f"{_by_conversation(conversation_id)}/deliveries"
        return [AgentMessage(m["text"], m["agent_name"], m.get("id"))
                for m in (await self._service_call("POST", path))["messages"]]

    async def record_fallback(self, conversation_id: str, channel: str, language: str, text: str,
                              intents: list[dict[str, Any]], in_a_row: int) -> None:
        """Log a message the assistant did not understand for the support team's review (POST /fallbacks; the
        core redacts and caps the text). `intents`: the parse's intent ranking, of which the best 3 real
        guesses are sent; `in_a_row`: misunderstood messages in a row, this one included (at least 1 is sent).

        Never raises and waits at most FALLBACK_LOG_TIMEOUT: any failure is a warning in the log, because the
        customer's reply must not depend on the review log. A message without text is not logged."""
        if not text:
            return
        try:
            body = {"conversation_id": conversation_id, "channel": channel or "unknown", "language": language,
                    "text": text[:MAX_LOGGED_TEXT], "top_intents": top_guesses(intents),
                    "fallback_in_a_row": max(1, int(in_a_row))}
            answer = await self._request("POST", "/fallbacks", {"X-Service-Key": self.service_key}, body,
                                         timeout=FALLBACK_LOG_TIMEOUT)
            problem = None if answer.ok else f"{answer.status} {answer.error_detail().get('code')}"
        except Exception as error:  # a CoreError, a timeout, or anything else: never the customer's problem
            problem = f"{type(error).__name__}: {error}"
        if problem:
            logger.warning("fallback message of %s not logged: %s", conversation_id, problem)


def top_guesses(intents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model's best real guesses, best first, at most MAX_GUESSES, as {"name", "confidence"}: the
    fallback intent itself and malformed entries are left out."""
    guesses = []
    for intent in intents or []:
        if not isinstance(intent, dict):
            continue
        name, confidence = intent.get("name"), intent.get("confidence")
        if not isinstance(name, str) or not name or name == FALLBACK_INTENT or "\x00" in name:
            continue
        if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
            continue
        if math.isfinite(confidence) and 0 <= confidence <= 1:
            guesses.append({"name": name[:MAX_GUESS_NAME], "confidence": float(confidence)})
    return sorted(guesses, key=lambda g: g["confidence"], reverse=True)[:MAX_GUESSES]


def _by_conversation(conversation_id: str) -> str:
    """The path of a conversation's escalation (the id as one percent-encoded path segment)."""
    return f"/escalations/by-conversation/{path_segment(conversation_id)}"


def _product(data: dict[str, Any]) -> Product:
    return Product(data["name"] or data["model"], data["missing_fields"], data["id"])
