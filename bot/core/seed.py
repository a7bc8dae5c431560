"""Demo customers, seeded into an empty database: `python -m bot.core.seed`.

Migrates the database to head, seeds it when it holds no customers (no-op otherwise), and prints a signed
customer token for each demo customer ("<id>\\t<token>" lines), valid for 8 hours (DEMO_TOKEN_LIFETIME, as the
support page's demo sign-in). With `--tokens-file PATH` the lines go to that file instead (mode 600, replaced):
`make run` keeps them there and prints only the path.

`python -m bot.core.seed --clone demo-missing my-copy` adds a fresh copy of a demo customer under a new id
(own legacy e-mail and membership number) and prints its (8-hour) token: a clean state for trying a flow again.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.clock import utc_now
from bot.core.config import database_url, demo_mode, token_secret
from bot.core.db.models import Application, Customer, LegacyProduct, Membership, RegisteredProduct
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head
from bot.core.demo import DEMOS, Demo
from bot.core.domain.rules import (
    DocumentKind,
    add_business_days,
    expected_approval_date,
    new_membership_number,
)
from bot.core.tokens import make_customer_token

COUNTRY = "LT"
DEMO_TOKEN_LIFETIME = timedelta(hours=8)
DEALER = "Fotoprekyba UAB"


def previous_business_day(today: date, country: str = COUNTRY) -> date:
    """The last business day before `today`."""
    day = today - timedelta(days=1)
    while add_business_days(day - timedelta(days=1), 1, country) != day:
        day -= timedelta(days=1)
    return day


def _application(demo: Demo, customer: Customer, now: datetime) -> Application:
    submitted = (
        datetime.combine(previous_business_day(now.date()), now.timetz())
        if not demo.approved
        else now - timedelta(days=30)
    )
    return Application(
        customer=customer,
        company=f"UAB {demo.id.title().replace('-', ' ')}",
        country=COUNTRY,
        vat_registered=True,
        documents=[
            {
                "kind": DocumentKind.VAT_CERTIFICATE.value,
                "shows_company_name": True,
                "shows_vat_number": True,
                "shows_address": True,
            }
        ],
        old_cps_email=demo.old_cps_email,
        status="approved" if demo.approved else "submitted",
        submitted_at=submitted,
        expected_approval_date=expected_approval_date(submitted.date(), COUNTRY),
    )


def _details(serial: str, missing: tuple[str, ...]) -> dict[str, object]:
    values: dict[str, object] = {
        "serial_number": serial,
        "purchase_date": date(2023, 3, 14),
        "country_of_purchase": COUNTRY,
        "dealer": DEALER,
    }
    return {name: None if name in missing else value for name, value in values.items()}


def _rows(demo: Demo, index: int, now: datetime) -> list[object]:
    customer = Customer(id=demo.id, email=f"{demo.id}@example.lt")
    rows: list[object] = [customer, _application(demo, customer, now)]
    for n, (model, missing) in enumerate(demo.products):
        rows.append(
            RegisteredProduct(customer=customer, model=model, **_details(f"SN{index:02d}{n:05d}", missing))
        )
    for n, (model, missing) in enumerate(demo.legacy):
        rows.append(
            LegacyProduct(
                old_cps_email=demo.legacy_email, model=model, **_details(f"OLD{index:02d}{n:05d}", missing)
            )
        )
    if demo.membership_number:
        rows.append(
            Membership(
                customer=customer,
                tier="gold",
                number=demo.membership_number,
                status="active",
                started_at=now - timedelta(days=300),
            )
        )
    return rows


def is_empty(session: Session) -> bool:
    return not any(
        session.scalar(select(func.count()).select_from(model)) for model in (Customer, LegacyProduct)
    )


def seed(session: Session, now: datetime | None = None) -> bool:
    """Add the demo customers to an empty database; False (and nothing done) when it holds data."""
    if not is_empty(session):
        return False
    now = now or utc_now()
    for index, demo in enumerate(DEMOS):
        session.add_all(_rows(demo, index, now))
    session.commit()
    return True


def clone_demo(session: Session, demo_id: str, new_id: str, now: datetime | None = None) -> None:
    """Add a copy of demo customer `demo_id` as `new_id`; KeyError for an unknown demo."""
    index, demo = next((i, d) for i, d in enumerate(DEMOS) if d.id == demo_id)
    email = f"{new_id}.old@example.lt"
    copy = replace(
        demo,
        id=new_id,
        old_cps_email=email if demo.old_cps_email else None,
        legacy_email=email if demo.legacy_email else None,
        membership_number=new_membership_number(set(session.scalars(select(Membership.number))))
        if demo.membership_number
        else None,
    )
    session.add_all(_rows(copy, index, now or utc_now()))
    session.commit()


def demo_tokens(secret: str, now: datetime | None = None) -> dict[str, str]:
    """A signed token per demo customer, valid for DEMO_TOKEN_LIFETIME."""
    return {demo.id: make_customer_token(demo.id, secret, now, DEMO_TOKEN_LIFETIME) for demo in DEMOS}


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only (mode 600 from the start)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


DEMO_AGENT = "demo-agent"
DEMO_AGENT_NAME = "Demo Agent"
DEMO_ADMIN = "demo-admin"  # an admin (the analytics too), with the demo agent's password
DEMO_ADMIN_NAME = "Demo Admin"


def seed_demo_agent(session: Session, env: Mapping[str, str]) -> str:
    """The console's demo agent and demo admin (docs/handoff.md), only in demo mode (CORE_DEMO_MODE=true) and with
    CORE_DEMO_AGENT_PASSWORD (generated once under build/ by `make run`, the same for both): created, or their
    password and role restored. Without demo mode no agent with a known password is made:
    `python -m bot.core.agents create` is the way."""
    from bot.core.agents import ensure_agent
    from bot.core.db.models import ADMIN_ROLE, AGENT_ROLE, Agent

    password = env.get("CORE_DEMO_AGENT_PASSWORD", "")
    if demo_mode(env) and password:
        _, agent_changed = ensure_agent(session, DEMO_AGENT, password, DEMO_AGENT_NAME, AGENT_ROLE)
        _, admin_changed = ensure_agent(session, DEMO_ADMIN, password, DEMO_ADMIN_NAME, ADMIN_ROLE)
        state = "created or updated" if agent_changed or admin_changed else "ready"
        return f"demo agent {DEMO_AGENT} and demo admin {DEMO_ADMIN}: {state}"
    if not session.scalar(select(func.count()).select_from(Agent)):
        return "no support agents yet: create one with `python -m bot.core.agents create <username>`"
    return ""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    secret, url = token_secret(), database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        if argv[:1] == ["--clone"] and len(argv) == 3:
            clone_demo(session, argv[1], argv[2])
            engine.dispose()
            print(f"{argv[2]}\t{make_customer_token(argv[2], secret, lifetime=DEMO_TOKEN_LIFETIME)}")
            return 0
        seeded = seed(session)
        agents = seed_demo_agent(session, os.environ)
    engine.dispose()
    print(
        "seeded the demo customers" if seeded else "the database already holds data: not seeded",
        file=sys.stderr,
    )
    if agents:
        print(agents, file=sys.stderr)
    lines = "".join(f"{customer_id}\t{token}\n" for customer_id, token in demo_tokens(secret).items())
    if argv[:1] == ["--tokens-file"] and len(argv) == 2:
        write_private(Path(argv[1]), lines)
    else:
        print(lines, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
