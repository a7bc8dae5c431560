"""Request dependencies shared by the core's routers: a database session and the app's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    """A session of the app's database for one request."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def now_of(request: Request) -> datetime:
    """The app's clock (injected by tests)."""
    return request.app.state.clock()


NowDep = Annotated[datetime, Depends(now_of)]
