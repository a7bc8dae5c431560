"""Rasa's HTTP API gets back the exact conversation id the core encoded (bot/conversation_ids.py).

Rasa 3.6 declares its conversation routes `/conversations/<conversation_id:path>/...`; Sanic 21.12 matches them
on the raw request path and hands the handler the id still percent-encoded (its `unquote=True` route option is
ignored for `path` parameters). The core must encode an id (a "/" in it would end the segment, a space or a "?"
cannot be in a URL at all), so without decoding, Rasa would address "a%2Fb" where the conversation is "a/b".

`decode_conversation_ids(app)` adds a request middleware that percent-decodes (UTF-8) the `conversation_id` of
every `/conversations/...` route once, before the route's handler (and its token check) runs. The socket.io
channel (bot/rasa_ext/socketio_channel.py, in every credentials file) installs it when Rasa registers the channel
with the app. An id without "%" is unchanged.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from sanic import Sanic
from sanic.request import Request

logger = logging.getLogger(__name__)

ROUTE_PREFIX = "conversations/"
PARAMETER = "conversation_id"


async def decode_conversation_id(request: Request) -> None:
    """The request middleware: the matched conversation id, percent-decoded once."""
    route: Any = request.route
    info = request.match_info
    if route is None or not route.path.startswith(ROUTE_PREFIX) or not isinstance(info.get(PARAMETER), str):
        return
    info[PARAMETER] = unquote(info[PARAMETER])


def decode_conversation_ids(app: Sanic) -> None:
    """Install the middleware on `app` (once)."""
    if getattr(app.ctx, "conversation_ids_decoded", False):
        return
    app.ctx.conversation_ids_decoded = True
    app.register_middleware(decode_conversation_id, "request")
    logger.debug("Conversation ids in Rasa's HTTP API are percent-decoded.")
