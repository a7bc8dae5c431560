"""The support agents' console at /agent (router.py): sign-in, the queue, escalations, live updates."""

from bot.core.console.router import router

__all__ = ["router"]
