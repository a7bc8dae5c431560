"""The core as a client of Rasa's HTTP API (Rasa runs with `--enable-api` and RASA_TOKEN as both its auth token and
its JWT secret: bot/rasa_ext/rasa_cli.py).

Each call carries `Authorization: Bearer <JWT>`, a short-lived HS256 token signed with RASA_TOKEN whose payload
names an admin user (what Rasa's `requires_auth` asks of a JWT): the token itself never appears in a URL, where
it would end up in logs.

`RasaClient` is the interface the handoff code uses; `HttpRasaClient` is the real one (httpx), and tests give
the app a fake with the same methods. Every failure (connection refused, timeout, a non-2xx answer, a
body that is not JSON) is a `RasaUnavailable`: the caller keeps the work and tries again later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx
import jwt

from bot.conversation_ids import path_segment
from bot.core.clock import utc_now
from bot.core.config import HandoffSettings

DELIVER_ACTION = "action_deliver_agent_messages"
CLOSED_ACTION = "action_handoff_closed"
JWT_USER = {"username": "canonassistant-core", "role": "admin"}  # Rasa: role admin may call every route
JWT_LIFETIME = timedelta(minutes=5)


def bearer_token(secret: str, now: datetime | None = None) -> str:
    """A JWT for Rasa's HTTP API, signed with `secret` (HS256), valid for JWT_LIFETIME."""
    issued = now or utc_now()
    claims = {"user": JWT_USER, "iat": issued, "exp": issued + JWT_LIFETIME}
    return jwt.encode(claims, secret, algorithm="HS256")


class RasaUnavailable(RuntimeError):
    """Rasa did not do what was asked (unreachable, or an error answer)."""


class RasaClient(Protocol):
    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker (its `events`)."""

    def execute(self, conversation_id: str, action: str) -> None:
        """Run `action` in the conversation, its messages going to the conversation's latest channel."""

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events (e.g. `{"event": "resume"}`) to the conversation's tracker."""

    def delete_tracker(self, conversation_id: str) -> bool:
        """Delete the conversation from Rasa's tracker store (an erasure: bot/rasa_ext/conversation_routes.py);
        True when it was stored."""


class HttpRasaClient:
    """Rasa's HTTP API at `base_url`, authenticated with a JWT signed with `token` (no token: no header)."""

    def __init__(self, base_url: str, token: str, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._client = httpx.Client(timeout=timeout, transport=transport)

    @classmethod
    def from_settings(cls, settings: HandoffSettings) -> HttpRasaClient:
        return cls(settings.rasa_url, settings.rasa_token, settings.rasa_timeout)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, conversation_id: str, suffix: str, json: Any = None,
              **params: str) -> httpx.Response:
        url = f"{self.base_url}/conversations/{path_segment(conversation_id)}/{suffix}"
        headers = {"Authorization": f"Bearer {bearer_token(self._token)}"} if self._token else {}
        try:
            response = self._client.request(method, url, params=params, json=json, headers=headers)
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"{method} /conversations/…/{suffix}: {type(error).__name__}") from None
        if not response.is_success:
            raise RasaUnavailable(f"{method} /conversations/…/{suffix}: HTTP {response.status_code}")
        return response

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        response = self._call("GET", conversation_id, "tracker")
        try:
            body = response.json()
        except ValueError:
            raise RasaUnavailable("GET /conversations/…/tracker: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise RasaUnavailable("GET /conversations/…/tracker: the answer is not a tracker")
        return body

    def execute(self, conversation_id: str, action: str) -> None:
        self._call("POST", conversation_id, "execute", json={"name": action}, output_channel="latest")

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        self._call("POST", conversation_id, "tracker/events", json=events)

    def delete_tracker(self, conversation_id: str) -> bool:
        response = self._call("DELETE", conversation_id, "tracker")
        try:
            body = response.json()
        except ValueError:
            raise RasaUnavailable("DELETE /conversations/…/tracker: the answer is not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("deleted"), bool):
            raise RasaUnavailable("DELETE /conversations/…/tracker: an unexpected answer")
        return body["deleted"]
