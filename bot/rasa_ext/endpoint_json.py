"""Rasa's HTTP calls to its endpoints (the action server) with a faster JSON encoder.

Every call to the action server sends the whole conversation (`tracker` with all its events), which aiohttp
encodes with the standard library's `json.dumps`: 5% of a Rasa worker's CPU (py-spy, issue 13). `apply()` makes
`EndpointConfig.session` create its sessions with `bot.rasa_ext.fast_json.dumps` as the encoder. Our components
module applies it when Rasa loads the pipeline.
"""

from __future__ import annotations

import aiohttp
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

from bot.rasa_ext.fast_json import dumps


def session(self: EndpointConfig) -> aiohttp.ClientSession:
    """Rasa's `EndpointConfig.session` (headers, basic auth, timeout), encoding JSON bodies with `dumps`."""
    auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
    return aiohttp.ClientSession(headers=self.headers, auth=auth, json_serialize=dumps,
                                 timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))


def apply() -> None:
    """Use the faster encoder for every endpoint session (idempotent)."""
    EndpointConfig.session = session  # type: ignore[method-assign]
