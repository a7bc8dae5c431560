"""Rasa's command line, with its secrets taken from the environment instead of the command line.

`python -m bot.rasa_ext.rasa_cli run --model ... --enable-api` is `rasa run --model ... --enable-api` plus,
inside the process only (a command line is visible to every user in `ps`):

- `--auth-token $RASA_TOKEN` (Rasa's HTTP API accepts `?token=`: kept for operators and tests), and
- `--jwt-secret $RASA_TOKEN --jwt-method HS256`: the core signs its calls with the same secret and sends them as
  `Authorization: Bearer`, so the token never appears in a URL (bot/core/handoff/rasa.py).

Used by scripts/run.sh; nothing is added when RASA_TOKEN is unset or empty.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

TOKEN_VARIABLE = "RASA_TOKEN"
JWT_METHOD = "HS256"


def with_secrets(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """`argv` with the secret options Rasa reads, from `env`."""
    token = env.get(TOKEN_VARIABLE, "")
    if not token:
        return list(argv)
    return [*argv, "--auth-token", token, "--jwt-secret", token, "--jwt-method", JWT_METHOD]


def main() -> None:
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_secrets(sys.argv[1:], os.environ)]  # /proc/<pid>/cmdline keeps the original
    rasa_main()


if __name__ == "__main__":
    main()
