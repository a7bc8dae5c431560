"""The support agents' console at /agent (router.py): sign-in, the queue, escalations, live updates; for admins
the dashboard (dashboard.py)."""

from bot.core.console import dashboard
from bot.core.console.router import router

router.include_router(dashboard.router)

__all__ = ["router"]
