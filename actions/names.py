"""How the assistant names the core's codes in each language: membership tiers and product fields."""

from __future__ import annotations

from bot.vocabulary import EN, LT

TIER_NAMES = {
    LT: {"silver": "Sidabras", "gold": "Auksas", "platinum": "Platina", "enterprise": "Įmonių (Enterprise)"},
    EN: {"silver": "Silver", "gold": "Gold", "platinum": "Platinum", "enterprise": "Enterprise"},
}

FIELD_NAMES = {
    LT: {"serial_number": "serijos numeris", "purchase_date": "pirkimo data",
         "country_of_purchase": "pirkimo šalis", "dealer": "prekybos atstovas"},
    EN: {"serial_number": "serial number", "purchase_date": "purchase date",
         "country_of_purchase": "country of purchase", "dealer": "dealer"},
}


def tier_name(code: str, language: str) -> str:
    """The tier's name in `language` (the core's code itself when it has none)."""
    return TIER_NAMES[language].get(code, code)
