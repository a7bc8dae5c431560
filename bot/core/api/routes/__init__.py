"""The service API's routes (the account API, the fallback log), one module per resource; bot/core/main.py
includes ROUTERS in this order."""

from __future__ import annotations

from bot.core.api.routes import applications, fallbacks, health, membership, migration, products

ROUTERS = (health.router, applications.router, products.router, migration.router, membership.router,
           fallbacks.router)
