"""The core service's FastAPI app (`uvicorn bot.core.main:app`): assembles the routers, the error handler and
the start-up; the code it assembles lives in the modules it imports (docs/core-service.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from bot.core import console, shared_assets, web
from bot.core.analytics import retention
from bot.core.analytics.consumer import running as recording
from bot.core.api.routes import ROUTERS
from bot.core.clock import Clock, utc_now
from bot.core.config import Settings
from bot.core.console.throttle import make_throttle
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.errors import ServiceError
from bot.core.handoff import api as handoff_api
from bot.core.handoff import worker as handoff_worker
from bot.core.handoff.rasa import RasaClient
from bot.core.http_errors import service_error, validation_failed


def create_app(
    settings: Settings | None = None, clock: Clock = utc_now, rasa: RasaClient | None = None
) -> FastAPI:
    """The app; settings come from the environment at start unless given (MissingSetting if incomplete).
    `rasa`: the client of Rasa's HTTP API for the handoff (tests give a fake; default: HttpRasaClient)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or Settings.from_env()
        engine = make_engine(app.state.settings.database_url)
        app.state.sessions, app.state.clock = make_sessionmaker(engine), clock
        # failed console sign-ins (console/throttle.py): in Redis with CORE_REDIS_URL, else in memory
        app.state.sign_in_throttle = make_throttle(app.state.settings.redis_url)
        async with handoff_worker.running(app, rasa):  # app.state.handoff, and the worker (docs/handoff.md)
            async with retention.running(app), recording(app):  # docs/analytics.md "Privacy", "Recording"
                yield
        app.state.sign_in_throttle.close()
        engine.dispose()

    app = FastAPI(title="Canon business core service", version="1.0.0", lifespan=lifespan)
    app.add_exception_handler(ServiceError, service_error)  # every refusal: the problem-details body
    app.add_exception_handler(RequestValidationError, validation_failed)
    for router in (*ROUTERS, shared_assets.router, web.router):  # shared helpers before web's /static/
        app.include_router(router)
    for router in (handoff_api.router, console.router):  # human handoff: service routes, console (/agent)
        app.include_router(router)
    return app


app = create_app()
