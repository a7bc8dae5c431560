"""How long conversations are kept in the SQL tracker store (issue 15).

Rasa's SQL tracker store (PostgreSQL in production: deploy/endpoints.production.yml) keeps every event for ever;
Redis expires a conversation after `record_exp` (scripts/run.sh: the same days). `prune` deletes every conversation
whose latest event is older than the retention (CONVERSATION_RETENTION_DAYS, default 180 days, as long as the core
keeps its analytics, escalations and fallback log: bot/core/analytics/retention.py, ANALYTICS_RETENTION_DAYS): all
its events, so nothing of a conversation is left half (docs/operations.md).

    python -m bot.rasa_ext.retention [--endpoints endpoints.yml] [--days 180] [--every 86400]

prunes once (or, with `--every`, again every that many seconds) and prints how many conversations it removed.
The store is the endpoints file's (a tracker store that is not SQL: it says so and does nothing), else the
PostgreSQL database of TRACKER_DB_HOST, TRACKER_DB_PORT, TRACKER_DB_NAME, TRACKER_DB_USER and TRACKER_DB_PASSWORD,
the variables of deploy/endpoints.production.yml (a Kubernetes CronJob or a compose service needs no more).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from typing import List, Optional, Sequence

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.core.utils import read_endpoints_from_path
from sqlalchemy import delete, func, select

logger = logging.getLogger(__name__)

DAYS_VARIABLE = "CONVERSATION_RETENTION_DAYS"
DEFAULT_DAYS = 180
BATCH = 500  # conversations deleted per statement


def retention_days(value: Optional[str] = None) -> float:
    """The retention in days from `value` (else the environment, else the default); a clear error otherwise."""
    raw = value if value is not None else os.environ.get(DAYS_VARIABLE, str(DEFAULT_DAYS))
    try:
        days = float(raw)
    except ValueError:
        raise ValueError(f"{DAYS_VARIABLE} must be a number of days, not {raw!r}") from None
    if not days > 0:
        raise ValueError(f"{DAYS_VARIABLE} must be more than 0 days, not {raw!r}")
    return days


def stale_conversations(store: SQLTrackerStore, cutoff: float) -> List[str]:
    """The conversations whose latest event is older than `cutoff` (a Unix timestamp)."""
    events = store.SQLEvent.__table__
    query = select(events.c.sender_id).group_by(events.c.sender_id).having(func.max(events.c.timestamp) < cutoff)
    with store.session_scope() as session:
        return [row[0] for row in session.execute(query)]


def prune(store: SQLTrackerStore, days: float, now: Optional[float] = None) -> int:
    """Delete the conversations quiet for more than `days`; how many."""
    cutoff = (time.time() if now is None else now) - days * 86400
    stale = stale_conversations(store, cutoff)
    events = store.SQLEvent.__table__
    with store.session_scope() as session:
        for start in range(0, len(stale), BATCH):
            batch = stale[start:start + BATCH]
            # a conversation that spoke again since it was found keeps everything
            recent = select(events.c.sender_id).where(events.c.sender_id.in_(batch), events.c.timestamp >= cutoff)
            session.execute(delete(events).where(events.c.sender_id.in_(batch), events.c.sender_id.not_in(recent)))
        session.commit()
    return len(stale)


def sql_store(endpoints: str) -> Optional[SQLTrackerStore]:
    """The SQL tracker store of an endpoints file, None when its tracker store is another kind."""
    config = read_endpoints_from_path(endpoints).tracker_store
    if config is None:
        return None
    store = TrackerStore.create(config)
    return store if isinstance(store, SQLTrackerStore) else None


def environment_store() -> SQLTrackerStore:
    """The PostgreSQL tracker store named by the TRACKER_DB_* variables (deploy/endpoints.production.yml)."""
    missing = [name for name in ("TRACKER_DB_HOST", "TRACKER_DB_NAME") if not os.environ.get(name)]
    if missing:
        raise ValueError(f"set {' and '.join(missing)} (or give --endpoints)")
    return SQLTrackerStore(dialect="postgresql", host=os.environ["TRACKER_DB_HOST"],
                           port=os.environ.get("TRACKER_DB_PORT") or 5432, db=os.environ["TRACKER_DB_NAME"],
                           username=os.environ.get("TRACKER_DB_USER"), password=os.environ.get("TRACKER_DB_PASSWORD"))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", help="default: the TRACKER_DB_* variables")
    parser.add_argument("--days", default=None, help=f"default: ${DAYS_VARIABLE}, else {DEFAULT_DAYS}")
    parser.add_argument("--every", type=float, default=0, help="seconds between prunes (default: once)")
    args = parser.parse_args(argv)
    try:
        days = retention_days(args.days)
        store = sql_store(args.endpoints) if args.endpoints else environment_store()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if store is None:
        print(f"{args.endpoints}: the tracker store is not SQL; nothing to prune (Redis expires conversations).")
        return 0
    while True:
        removed = prune(store, days)
        print(f"retention: removed {removed} conversation(s) quiet for more than {days:g} days", flush=True)
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
