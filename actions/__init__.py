"""Rasa SDK actions: thin translators between the conversation and the rest of the system.

rasa-sdk imports this package after making its Sanic app (`rasa run actions`): the session of the core's
client (actions/core_client.py) is closed when that server stops. Imported anywhere else (tests), nothing is
hooked.
"""

from __future__ import annotations

from actions.core_client import close_session

ACTION_SERVER_APP = "rasa_sdk"  # the name rasa_sdk.endpoint.create_app gives its Sanic app


def _close_session_when_the_server_stops() -> None:
    from sanic import Sanic
    from sanic.exceptions import SanicException

    try:
        app = Sanic.get_app(ACTION_SERVER_APP)
    except SanicException:
        return

    async def close(_app: Sanic, _loop: object) -> None:
        await close_session()

    app.register_listener(close, "after_server_stop")


_close_session_when_the_server_stops()
