"""Error answers of the core, one shape for every JSON error:
`{"detail": {"code": ..., "message": ..., "fields": ..., "problems": ...}}` (absent parts left out).

`problem()` makes the exception a route or dependency raises, `problem_response()` the answer a route returns
(the agent console's JSON branch), and `validation_failed` turns FastAPI's request validation errors into the
same shape with one code per invalid field.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def problem(status: int, code: str, message: str | None = None, **extra: Any) -> HTTPException:
    """An error answer to raise: `status` with {"detail": {"code": ..., ...}}."""
    return HTTPException(status_code=status, detail=problem_detail(code, message, **extra))


def problem_response(
    status: int, code: str, message: str | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    """An error answer to return (same body as `problem`)."""
    body = jsonable_encoder({"detail": problem_detail(code, message, **extra)})
    return JSONResponse(body, status_code=status, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these statuses as Problem answers."""
    return {status: {"model": Problem} for status in statuses}


async def validation_failed(_: Request, error: Exception) -> JSONResponse:
    """422 `invalid_request` with one code per invalid field (the app's RequestValidationError handler)."""
    assert isinstance(error, RequestValidationError)
    fields = {".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]): e["type"] for e in error.errors()}
    return problem_response(422, "invalid_request", "The request is not valid.", fields=fields)
