"""Typed HTTP client of the core service's account API (bot/core/api), as the actions use it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, List, Optional

import requests


class CoreError(Exception):
    """The core did not give an answer the assistant can use."""


class Anonymous(CoreError):
    """No valid customer token: the customer is anonymous."""


class NotApproved(CoreError):
    """The customer's business account is not approved yet."""


class Unavailable(CoreError):
    """The core cannot be reached or failed."""


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


@dataclass(frozen=True)
class Migration:
    available: bool
    count: int
    old_cps_email_given: bool


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

    def _get(self, path: str, token: Optional[str]) -> Dict[str, Any]:
        if not token:
            raise Anonymous("no customer token")
        headers = {"X-Service-Key": self.service_key, "X-Customer-Token": token}
        try:
            answer = requests.get(f"{self.base_url}{path}", headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise Unavailable(str(error)) from error
        code = _error_code(answer)
        if answer.status_code == 401 and code == "anonymous":
            raise Anonymous(code)
        if answer.status_code == 403 and code == "account_not_approved":
            raise NotApproved(code)
        if not answer.ok:
            raise Unavailable(f"{answer.status_code} {code}")
        return answer.json()

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
        return [Product(p["name"] or p["model"], p["missing_fields"]) for p in products if not p["has_green_tick"]]

    def migration(self, token: Optional[str]) -> Migration:
        data = self._get("/me/migration", token)
        return Migration(data["available"], data["count"], data["old_cps_email_given"])

    def membership(self, token: Optional[str]) -> Optional[Membership]:
        current = self._get("/me/membership", token).get("membership")
        return Membership(current["tier"], current["number"]) if current else None


def _error_code(answer: requests.Response) -> Optional[str]:
    try:
        detail = answer.json().get("detail")
    except ValueError:
        return None
    return detail.get("code") if isinstance(detail, dict) else None
