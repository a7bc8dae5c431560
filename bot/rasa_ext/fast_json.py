"""The JSON encoder of our Rasa patches: ujson (a dependency of Rasa), 3-4x faster than `json.dumps` on
conversations; the same JSON up to spacing and the escaping of "/"."""

from __future__ import annotations

from typing import Any

import ujson


def dumps(value: Any) -> str:
    """JSON text of `value` (ASCII, like `json.dumps`)."""
    return ujson.dumps(value, escape_forward_slashes=False)
