"""Scripts and style sheets served from a package folder (nested paths too, e.g. `chat/messages.js`), plus
named files kept elsewhere (the socket.io client `make` copies to build/static). Only `.js` and `.css`; a path
that leaves the folder, or anything else, is a 404 `not_found` problem."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.responses import FileResponse

from bot.core.errors import ServiceError

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class StaticFiles:
    """The `.js` and `.css` files under `folder`, and `extra` files by their name."""

    folder: Path
    extra: Mapping[str, Path] = field(default_factory=dict)

    def find(self, path: str) -> Path | None:
        """The file a request path names, or None (unknown type, outside the folder, or missing)."""
        if path in self.extra:
            file = self.extra[path]
        else:
            root = self.folder.resolve()
            try:
                file = (root / path).resolve()
            except (OSError, ValueError):  # e.g. a NUL character, a symlink loop
                return None
            if not file.is_relative_to(root):
                return None
        return file if file.suffix in MEDIA_TYPES and file.is_file() else None

    def response(self, path: str) -> FileResponse:
        """The file with its media type and no-cache, nosniff headers; 404 `not_found` otherwise."""
        file = self.find(path)
        if file is None:
            raise ServiceError(404, "not_found")
        return FileResponse(file, media_type=MEDIA_TYPES[file.suffix], headers=HEADERS)
