"""The support agents' console at /agent (router.py): sign-in, the queue, escalations, live updates; for admins
the dashboard (dashboard.py, /agent/dashboard) and the conversation review (review.py, /agent/review)."""

from bot.core.console import dashboard, review
from bot.core.console.router import router

router.include_router(dashboard.router)
router.include_router(review.router)

__all__ = ["router"]
