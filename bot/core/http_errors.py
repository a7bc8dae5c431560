"""Error answers over HTTP, one shape for every JSON error (bot/core/errors.py): the app's handlers for a
ServiceError and for FastAPI's request validation errors, `problem_response()` for a route that returns the
answer (the agent console's JSON branch), and `problem_responses()` documenting the statuses in OpenAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from bot.core.errors import Problem, ServiceError, problem_detail


def problem_response(
    status: int, code: str, message: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An error answer to return: `status` with {"detail": {"code": ..., ...}}."""
    body = jsonable_encoder({"detail": problem_detail(code, message, **extra)})
    return JSONResponse(body, status_code=status, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these statuses as Problem answers."""
    return {status: {"model": Problem} for status in statuses}


async def service_error(_: Request, error: Exception) -> JSONResponse:
    """The answer of a refused request (the app's ServiceError handler)."""
    assert isinstance(error, ServiceError)
    return problem_response(error.status, error.code, error.message, **error.extra)


async def validation_failed(_: Request, error: Exception) -> JSONResponse:
    """422 `invalid_request` with one code per invalid field (the app's RequestValidationError handler)."""
    assert isinstance(error, RequestValidationError)
    fields = {".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]): e["type"] for e in error.errors()}
    return problem_response(422, "invalid_request", "The request is not valid.", fields=fields)
