"""Configuration: the Canon product catalogue (points per model) and the CPS tiers (thresholds, fees)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueProduct:
    """A Canon model that can be registered, and the points it is worth once its registration is complete."""

    code: str
    name: str
    category: str
    points: int


@dataclass(frozen=True)
class Tier:
    """A CPS membership tier: open to accounts with at least `min_points` points."""

    code: str
    name: str
    min_points: int
    annual_fee_eur: Decimal


CATALOGUE: dict[str, CatalogueProduct] = {
    product.code: product
    for product in (
        CatalogueProduct("EOS-C70", "Canon EOS C70", "cinema camera", 600),
        CatalogueProduct("EOS-1DXM3", "Canon EOS-1D X Mark III", "camera", 500),
        CatalogueProduct("EOS-R3", "Canon EOS R3", "camera", 400),
        CatalogueProduct("EOS-R5", "Canon EOS R5", "camera", 300),
        CatalogueProduct("EOS-R6M2", "Canon EOS R6 Mark II", "camera", 250),
        CatalogueProduct("RF100-500", "Canon RF 100-500mm F4.5-7.1 L IS USM", "lens", 250),
        CatalogueProduct("RF70-200", "Canon RF 70-200mm F2.8 L IS USM", "lens", 200),
        CatalogueProduct("RF24-70", "Canon RF 24-70mm F2.8 L IS USM", "lens", 150),
        CatalogueProduct("RF15-35", "Canon RF 15-35mm F2.8 L IS USM", "lens", 100),
    )
}

# Silver from 500, Gold from 1000, Platinum from 1600, Enterprise above 2500 points.
TIERS: tuple[Tier, ...] = (
    Tier("silver", "Silver", 500, Decimal("0.00")),
    Tier("gold", "Gold", 1000, Decimal("100.00")),
    Tier("platinum", "Platinum", 1600, Decimal("250.00")),
    Tier("enterprise", "Enterprise", 2501, Decimal("600.00")),
)
