"""The support agents' console at /agent (router.py): sign-in, the queue, escalations, live updates; the admins'
conversation review (review.py, /agent/review)."""

from bot.core.console import review
from bot.core.console.router import router

router.include_router(review.router)

__all__ = ["router"]
