"""The core as a client of Rasa's HTTP API (Rasa runs with `--enable-api --auth-token $RASA_TOKEN`).

`RasaClient` is the interface the handoff code uses; `HttpRasaClient` is the real one (httpx), and tests give
the app a fake with the same three methods. Every failure (connection refused, timeout, a non-2xx answer, a
body that is not JSON) is a `RasaUnavailable`: the caller keeps the work and tries again later.
"""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from bot.conversation_ids import path_segment
from bot.core.config import HandoffSettings

DELIVER_ACTION = "action_deliver_agent_messages"
CLOSED_ACTION = "action_handoff_closed"


class RasaUnavailable(RuntimeError):
    """Rasa did not do what was asked (unreachable, or an error answer)."""


class RasaClient(Protocol):
    def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker (its `events`)."""

    def execute(self, conversation_id: str, action: str) -> None:
        """Run `action` in the conversation, its messages going to the conversation's latest channel."""

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events (e.g. `{"event": "resume"}`) to the conversation's tracker."""


class HttpRasaClient:
    """Rasa's HTTP API at `base_url`, authenticated with the `token` query parameter."""

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
        if self._token:
            params["token"] = self._token
        try:
            response = self._client.request(method, url, params=params, json=json)
        except httpx.HTTPError as error:  # never echo the URL: it carries the token
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
