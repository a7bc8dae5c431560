"""Rasa's HTTP API as `make run` starts it (bot/rasa_ext/rasa_cli.py: RASA_TOKEN as auth token and JWT secret)
accepts the core's `Authorization: Bearer` JWT (bot/core/handoff/rasa.py), so the token stays out of URLs."""

from __future__ import annotations

import asyncio
import subprocess

import aiohttp
import pytest

from bot.rasa_ext.rasa_cli import with_secrets
from tests.assistant.helpers import ROOT
from tests.servers import free_port

SECRET = "rasa-api-test-secret-0123456789abcdef"


def core_bearer_token(secret: str) -> str:
    """A token made by the core's own code (its environment: Python 3.11)."""
    code = "import sys; from bot.core.handoff.rasa import bearer_token; print(bearer_token(sys.argv[1]))"
    done = subprocess.run([str(ROOT / ".venv/core/bin/python"), "-c", code, secret], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True, env={"PYTHONPATH": str(ROOT)})
    return done.stdout.strip()


def rasa_options(argv: list[str]) -> dict[str, str]:
    """The values of --auth-token, --jwt-secret and --jwt-method Rasa's parser reads from `argv`."""
    import argparse

    from rasa.cli.arguments.run import add_server_arguments

    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    return {"auth_token": args.auth_token, "jwt_secret": args.jwt_secret, "jwt_method": args.jwt_method}


def statuses(options: dict[str, str], calls: list[tuple[dict, dict]]) -> list[int]:
    """Rasa's real app (no model) on a free port; the status of GET /conversations/x/tracker per (params,
    headers). Without a loaded model an authorised call gets 409, an unauthorised one 401 or 403."""
    from rasa.server import create_app

    async def run() -> list[int]:
        app = create_app(**options)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        found = []
        try:
            async with aiohttp.ClientSession() as session:
                for params, headers in calls:
                    async with session.get(f"http://127.0.0.1:{port}/conversations/x/tracker", params=params,
                                           headers=headers) as answer:
                        found.append(answer.status)
        finally:
            server.close()
            await server.wait_closed()
        return found

    return asyncio.new_event_loop().run_until_complete(run())


def test_the_wrapper_gives_rasa_the_secrets_from_the_environment():
    argv = with_secrets(["--enable-api"], {"RASA_TOKEN": SECRET})
    assert rasa_options(argv) == {"auth_token": SECRET, "jwt_secret": SECRET, "jwt_method": "HS256"}
    assert with_secrets(["--enable-api"], {}) == ["--enable-api"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_rasa_accepts_the_core_s_bearer_token_and_refuses_others():
    good, forged = core_bearer_token(SECRET), core_bearer_token("another-secret-0123456789abcdefghij")
    found = statuses(rasa_options(with_secrets(["--enable-api"], {"RASA_TOKEN": SECRET})), [
        ({}, {"Authorization": f"Bearer {good}"}),
        ({}, {}),
        ({}, {"Authorization": f"Bearer {forged}"}),
        ({"token": SECRET}, {}),  # kept for operators and tests
    ])
    assert found[0] not in (401, 403)
    assert found[1:3] == [401, 401]
    assert found[3] not in (401, 403)
