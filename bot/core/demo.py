"""The demo customers: who they are and what their accounts hold (the seed writes them, bot/core/seed.py; the
support page's demo sign-in offers them, bot/core/web/router.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

COMPLETE: tuple[str, ...] = ()  # products are (model code, missing fields)


@dataclass(frozen=True)
class Demo:
    """One demo customer: application state, registered products and old CPS products."""

    id: str
    approved: bool = True
    old_cps_email: str | None = None
    products: tuple[tuple[str, tuple[str, ...]], ...] = ()
    legacy_email: str | None = None
    legacy: tuple[tuple[str, tuple[str, ...]], ...] = ()
    membership_number: str | None = None
    notes: str = field(default="", compare=False)


def complete(*models: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((model, COMPLETE) for model in models)


DEMOS: tuple[Demo, ...] = (
    Demo("demo-pending", approved=False, notes="VAT-registered, submitted one business day ago"),
    Demo(
        "demo-migrate",
        old_cps_email="demo-migrate.old@example.lt",
        legacy_email="demo-migrate.old@example.lt",
        legacy=(("EOS-R5", COMPLETE), ("RF24-70", ("dealer",))),
        notes="2 legacy products (300 + 150 pending)",
    ),
    Demo(
        "demo-nomail",
        legacy_email="demo-nomail.old@example.lt",
        legacy=complete("EOS-R6M2", "RF15-35"),
        notes="legacy products exist but the application gave no old e-mail",
    ),
    Demo(
        "demo-missing",
        products=(
            ("EOS-R5", COMPLETE),
            ("RF70-200", ("serial_number", "dealer")),
            ("RF24-70", ("purchase_date",)),
        ),
        notes="300 points; 500 once RF70-200 is complete",
    ),
    Demo(
        "demo-details",
        products=(
            ("EOS-R5", COMPLETE),
            ("EOS-R6M2", ("serial_number", "purchase_date", "country_of_purchase", "dealer")),
        ),
        notes="300 points; 550 once the EOS R6 Mark II has all four details",
    ),
    Demo("demo-silver", products=complete("EOS-R5", "RF100-500", "RF15-35"), notes="650"),
    Demo("demo-gold", products=complete("EOS-C70", "EOS-R3", "RF70-200"), notes="1200"),
    Demo(
        "demo-2000",
        products=complete("EOS-C70", "EOS-1DXM3", "EOS-R3", "EOS-R5", "RF70-200", "RF15-35"),
        notes="2100",
    ),
    Demo(
        "demo-enterprise",
        products=complete(
            "EOS-C70",
            "EOS-1DXM3",
            "EOS-R3",
            "EOS-R5",
            "EOS-R6M2",
            "EOS-R6M2",
            "RF100-500",
            "RF70-200",
            "RF24-70",
            "RF15-35",
        ),
        notes="3000",
    ),
    Demo(
        "demo-member",
        products=complete("EOS-C70", "EOS-1DXM3", "EOS-R3", "RF70-200"),
        membership_number="CPS-00012345",
        notes="1700, Gold member with an old number",
    ),
)
