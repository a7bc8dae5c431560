"""The browser helpers both pages import (bot/core/static/shared/: `dom.js`, `http.js`), served once at
`/static/shared/` so that neither the support page's folder nor the console's holds what the other needs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from bot.core.static_files import StaticFiles

ASSETS = StaticFiles(Path(__file__).resolve().parent / "static" / "shared")

router = APIRouter(include_in_schema=False)


@router.get("/static/shared/{path:path}")
def shared_asset(path: str) -> FileResponse:
    """A shared ES module (bot/core/static_files.py); included before the support page's `/static/{path}`."""
    return ASSETS.response(path)
