"""The account API's routes, one module per resource; bot/core/main.py includes ROUTERS in this order."""

from __future__ import annotations

from bot.core.api.routes import applications, health, membership, migration, products

ROUTERS = (health.router, applications.router, products.router, migration.router, membership.router)
