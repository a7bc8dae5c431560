"""Rasa's HTTP API gets back the exact conversation id the core encoded (bot/conversation_ids.py).

Rasa 3.6 declares its conversation routes `/conversations/<conversation_id:path>/...`; Sanic 21.12 matches them
on the raw request path and hands the handler the id still percent-encoded (its `unquote=True` route option is
ignored for `path` parameters). The core must encode an id (a "/" in it would end the segment, a space or a "?"
cannot be in a URL at all), so without decoding, Rasa would address "a%2Fb" where the conversation is "a/b".

`decode_conversation_ids(app)` adds a request middleware that percent-decodes (UTF-8) the `conversation_id` of
every `/conversations/...` route once, before the route's handler (and its token check) runs. The socket.io
channel (bot/rasa_ext/socketio_channel.py, in every credentials file) installs it when Rasa registers the channel
with the app. An id without "%" is unchanged.

`add_erase_route(app)` (installed the same way) adds `DELETE /conversations/<conversation_id>/tracker`, which Rasa
lacks: the conversation is deleted from the tracker store (bot/rasa_ext/tracker_store.py `delete_conversation`)
under the conversation's lock, and the answer is `{"conversation_id": ..., "deleted": true|false}` (false: nothing
was stored). The core calls it to erase a customer's conversations (bot/core/analytics/erase.py). It is protected
exactly like Rasa's own API (Rasa's `requires_auth`): the auth token Rasa was given (RASA_TOKEN through
bot/rasa_ext/rasa_cli.py, or `--auth-token` on the command line) or a JWT with the admin role; without either,
Rasa's API and this route are open alike.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Optional, Sequence
from urllib.parse import unquote

from rasa.server import ensure_loaded_agent, requires_auth
from sanic import Sanic, response
from sanic.request import Request

from bot.rasa_ext.rasa_cli import TOKEN_VARIABLE
from bot.rasa_ext.tracker_store import delete_conversation

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


def auth_token(argv: Sequence[str], env: Any) -> Optional[str]:
    """The auth token Rasa's API was started with: `--auth-token` / `-t` of the command line (what Rasa parsed),
    else RASA_TOKEN (bot/rasa_ext/rasa_cli.py adds it as `--auth-token`); None without one."""
    for index, argument in enumerate(argv):
        if argument in ("--auth-token", "-t") and index + 1 < len(argv):
            return argv[index + 1]
        if argument.startswith("--auth-token="):
            return argument.split("=", 1)[1]
    return env.get(TOKEN_VARIABLE) or None


def add_erase_route(app: Sanic) -> None:
    """Add `DELETE /conversations/<conversation_id>/tracker` to Rasa's app (once; module docstring)."""
    if getattr(app.ctx, "erase_route_added", False):
        return
    app.ctx.erase_route_added = True

    @requires_auth(app, auth_token(sys.argv, os.environ))
    @ensure_loaded_agent(app)
    async def erase_tracker(request: Request, conversation_id: str) -> response.HTTPResponse:
        agent = app.ctx.agent
        async with agent.lock_store.lock(conversation_id):
            deleted = delete_conversation(agent.tracker_store, conversation_id)
        logger.info("A conversation was erased from the tracker store (%s).", "it was stored" if deleted else
                    "nothing was stored")
        return response.json({"conversation_id": conversation_id, "deleted": deleted})

    app.add_route(erase_tracker, "/conversations/<conversation_id:path>/tracker", methods=["DELETE"],
                  name="canon_erase_tracker")
