"""The core's one refusal: `ServiceError(status, code, message=None, **extra)`, raised by services, dependencies
and routes alike, and the shape of its answer, `{"detail": {"code": ..., "message": ..., "fields": ...,
"problems": ...}}` (absent parts left out).

No web framework here: bot/core/http_errors.py turns a ServiceError into its JSON answer (the app's handler).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class Problem(BaseModel):
    """The `detail` of an error answer: a stable code, and per-field codes for validation errors."""

    code: str
    message: str | None = None
    fields: dict[str, str] | None = None
    problems: list[str] | None = None


def problem_detail(code: str, message: str | None = None, **extra: Any) -> dict[str, Any]:
    """The `detail` object (fields that are None are left out)."""
    return Problem(code=code, message=message, **extra).model_dump(exclude_none=True)


class ServiceError(Exception):
    """A refused request: the HTTP status, a stable code, a message for people and extra detail (`fields`,
    `problems`)."""

    def __init__(self, status: int, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or code)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class NotFound(ServiceError):
    """404: the thing asked for does not exist."""

    def __init__(self, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(404, code, message, **extra)


class Forbidden(ServiceError):
    """403: the caller may not do this."""

    def __init__(self, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(403, code, message, **extra)


class Conflict(ServiceError):
    """409: the thing's state does not allow it (any more)."""

    def __init__(self, code: str, message: str | None = None, **extra: Any) -> None:
        super().__init__(409, code, message, **extra)
