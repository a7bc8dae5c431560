"""Typed HTTP client of the core service's API (bot/core/api), as the actions use it: the customer's account
and the support team's escalations."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import requests


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

    def __init__(self, code: Optional[str], fields: Optional[Dict[str, str]] = None) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields or {}


@dataclass(frozen=True)
class Application:
    company: str
    status: str  # submitted | approved | rejected
    expected_approval_date: date
    rejection_reason: Optional[str]


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
    missing_fields: List[str]
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
    previous_membership_number: Optional[str]


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
    next_opening: Optional[datetime]


@dataclass(frozen=True)
class AgentMessage:
    text: str
    agent_name: str
    id: Optional[int] = None  # the core's message id (the web chat shows each reply once by it)


@dataclass(frozen=True)
class Membership:
    tier: str
    number: str


class CoreClient:
    """Calls the core with the service key and, for account routes, the customer's token."""

    def __init__(self, base_url: str, service_key: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.service_key = service_key
        self.timeout = timeout

    @classmethod
    def from_env(cls) -> "CoreClient":
        return cls(os.environ.get("CORE_URL", "http://127.0.0.1:8000"), os.environ.get("CORE_SERVICE_KEY", ""))

    def _call(self, method: str, path: str, token: Optional[str], body: Optional[Dict[str, Any]] = None,
              headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        if not token:
            raise Anonymous("no customer token")
        headers = {"X-Service-Key": self.service_key, "X-Customer-Token": token, **(headers or {})}
        try:
            answer = requests.request(method, f"{self.base_url}{path}", json=body, headers=headers,
                                      timeout=self.timeout)
        except requests.RequestException as error:
            raise Unavailable(str(error)) from error
        detail = _error_detail(answer)
        code = detail.get("code")
        if answer.status_code == 401 and code == "anonymous":
            raise Anonymous(code)
        if answer.status_code == 403 and code == "account_not_approved":
            raise NotApproved(code)
        if answer.status_code == 404:
            raise Missing(code)
        if answer.status_code in (409, 422):
            raise Rejected(code, detail.get("fields"))
        if not answer.ok:
            raise Unavailable(f"{answer.status_code} {code}")
        return answer.json()

    def _service_call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """A route of the support team's side: the service key only, no customer token."""
        try:
            answer = requests.request(method, f"{self.base_url}{path}", json=body,
                                      headers={"X-Service-Key": self.service_key}, timeout=self.timeout)
        except requests.RequestException as error:
            raise Unavailable(str(error)) from error
        if answer.status_code == 404:
            raise Missing(_error_detail(answer).get("code"))
        if not answer.ok:
            raise Unavailable(f"{answer.status_code} {_error_detail(answer).get('code')}")
        return answer.json()

    def _get(self, path: str, token: Optional[str]) -> Dict[str, Any]:
        return self._call("GET", path, token)

    def application(self, token: Optional[str]) -> Application:
        data = self._get("/me/application", token)
        return Application(data["company"], data["status"], date.fromisoformat(data["expected_approval_date"]),
                           data.get("rejection_reason"))

    def points(self, token: Optional[str]) -> Points:
        data = self._get("/me/points", token)
        return Points(data["balance"], data["invited"], data["points_to_invitation"])

    def tiers(self, token: Optional[str]) -> List[Tier]:
        return [Tier(t["code"], str(t["annual_fee_eur"])) for t in self._get("/me/tiers", token)["tiers"]]

    def products_without_tick(self, token: Optional[str]) -> List[Product]:
        products = self._get("/me/products", token)["products"]
        return [_product(p) for p in products if not p["has_green_tick"]]

    def update_product(self, token: Optional[str], product_id: int, details: Dict[str, str]) -> ProductSaved:
        """Save product details (ISO date, ISO country code); Rejected with per-field codes when invalid."""
        data = self._call("PATCH", f"/me/products/{product_id}", token, body=details)
        return ProductSaved(_product(data["product"]), data["balance"], data["invited"])

    def migrate(self, token: Optional[str]) -> MigrationDone:
        data = self._call("POST", "/me/migration", token)
        return MigrationDone(data["migrated"], data["balance"])

    def place_order(self, token: Optional[str], tier: str, payment_method: str, key: str) -> Order:
        """Order a CPS membership; the same `key` never places a second order."""
        data = self._call("POST", "/me/orders", token, body={"tier": tier, "payment_method": payment_method},
                          headers={"Idempotency-Key": key})
        return Order(data["tier"], str(data["annual_fee_eur"]), data["payment"]["method"],
                     date.fromisoformat(data["invoice"]["due_date"]), data["membership"]["number"],
                     data.get("previous_membership_number"))

    def migration(self, token: Optional[str]) -> Migration:
        data = self._get("/me/migration", token)
        return Migration(data["available"], data["count"], data["old_cps_email_given"])

    def escalate(self, conversation_id: str, channel: str, language: str, reason: str,
                 transcript: List[Dict[str, Any]], token: Optional[str]) -> Escalation:
        """Hand the conversation to the support team (the same open escalation when it already is)."""
        body = {"conversation_id": conversation_id, "channel": channel, "language": language, "reason": reason,
                "transcript": transcript, "customer_token": token}
        data = self._service_call("POST", "/escalations", body)
        opening = data.get("next_opening")
        return Escalation(data["id"], data["status"], data["queue_position"], data["estimated_wait_minutes"],
                          data["in_working_hours"], datetime.fromisoformat(opening) if opening else None)

    def open_escalation(self, conversation_id: str) -> Optional[str]:
        """The status of the conversation's escalation that is not closed, None when there is none."""
        try:
            return self._service_call("GET", f"/escalations/by-conversation/{quote(conversation_id, safe='')}")[
                "status"]
        except Missing:
            return None

    def take_agent_messages(self, conversation_id: str) -> List[AgentMessage]:
        """The agents' replies not yet delivered to the customer (each is handed out once)."""
        path = f"/escalations/by-conversation/{quote(conversation_id, safe='')}/deliveries"
        return [AgentMessage(m["text"], m["agent_name"], m.get("id"))
                for m in self._service_call("POST", path)["messages"]]

    def membership(self, token: Optional[str]) -> Optional[Membership]:
        current = self._get("/me/membership", token).get("membership")
        return Membership(current["tier"], current["number"]) if current else None


def _product(data: Dict[str, Any]) -> Product:
    return Product(data["name"] or data["model"], data["missing_fields"], data["id"])


def _error_detail(answer: requests.Response) -> Dict[str, Any]:
    if answer.ok:
        return {}
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        return {}
    return detail if isinstance(detail, dict) else {}
