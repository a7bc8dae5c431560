"""The action server of `make run`: rasa_sdk's app, answering only callers that send the shared secret.

`python -m bot.rasa_ext.action_server --actions actions --port 5055` (the Rasa environment) runs what
`rasa run actions` runs, with two differences:

- every route but `/health` needs the header `X-Action-Token` equal to ACTION_SERVER_TOKEN (compared in
  constant time); otherwise 401 with a JSON error and no action runs. Rasa sends the header from its endpoint
  configuration (`action_endpoint.headers`, written by scripts/run.sh with `${ACTION_SERVER_TOKEN}`, which
  Rasa's YAML reader fills in from its environment). A header, not Rasa's `token` query parameter: URLs end up
  in logs.
- it listens on ASSISTANT_BIND_HOST (default 127.0.0.1), not on rasa_sdk's 0.0.0.0.

Without ACTION_SERVER_TOKEN it refuses to start.
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
from typing import Optional

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

HEADER = "X-Action-Token"
TOKEN_VARIABLE = "ACTION_SERVER_TOKEN"
HOST_VARIABLE = "ASSISTANT_BIND_HOST"
DEFAULT_HOST = "127.0.0.1"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger(__name__)


def is_allowed(provided: Optional[str], secret: str) -> bool:
    """Whether the header's value is the secret (constant-time comparison; an empty secret allows nothing)."""
    if not secret or provided is None:
        return False
    return hmac.compare_digest(provided.encode(), secret.encode())


def require_secret(app: Sanic, secret: str) -> None:
    """Refuse (401, JSON) every request but those of OPEN_PATHS without the secret in HEADER."""

    @app.middleware("request")
    async def check_secret(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS or is_allowed(request.headers.get(HEADER), secret):
            return None
        return response.json({"error": "not authorised: the action server answers Rasa only"}, status=401)


def create_app(actions: str, secret: str, cors: Optional[list] = None) -> Sanic:
    """rasa_sdk's app for the `actions` package, guarded by `secret`."""
    from rasa_sdk.endpoint import create_app as sdk_app

    if not secret:
        raise ValueError(f"{TOKEN_VARIABLE} must be set: the action server answers only callers that send it")
    app = sdk_app(actions, cors_origins=cors or "")
    require_secret(app, secret)
    return app


def run(args, env=os.environ) -> None:
    """Start the server as rasa_sdk's `run` does (plugins, workers), with the secret and the bind host."""
    from rasa_sdk import utils
    from rasa_sdk.endpoint import create_ssl_context
    from rasa_sdk.plugin import plugin_manager

    app = create_app(args.actions, env.get(TOKEN_VARIABLE, ""), args.cors)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    ssl = create_ssl_context(args.ssl_certificate, args.ssl_keyfile, args.ssl_password)
    host = env.get(HOST_VARIABLE) or DEFAULT_HOST
    logger.info(f"Action endpoint is up and running on {host}:{args.port}")
    app.run(host, args.port, ssl=ssl, workers=utils.number_of_sanic_workers())


def main(argv: Optional[list] = None) -> int:
    from rasa_sdk import utils
    from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME
    from rasa_sdk.endpoint import create_argument_parser

    args = create_argument_parser().parse_args(argv)
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    if not os.environ.get(TOKEN_VARIABLE):
        print(f"{TOKEN_VARIABLE} is not set: the action server would answer anyone. Not starting.", file=sys.stderr)
        return 2
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
