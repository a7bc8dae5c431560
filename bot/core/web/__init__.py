"""The public support page with the chat widget (router.py), served by the core service at `/`."""

from bot.core.web.router import router

__all__ = ["router"]
