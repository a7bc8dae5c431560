"""Countries typed by customers: Lithuanian or English names, ISO alpha-2 or alpha-3 codes."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry

from bot.text import fold

_ALIASES = {
    "uk": "GB", "britain": "GB", "great britain": "GB", "anglija": "GB", "didzioji britanija": "GB",
    "usa": "US", "america": "US", "jav": "US", "jungtines valstijos": "US", "holland": "NL", "olandija": "NL",
}


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    lithuanian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["lt"])
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for name in (country.name, getattr(country, "common_name", None), getattr(country, "official_name", None)):
            if name:
                names[fold(name)] = country.alpha_2
                names[fold(lithuanian.gettext(name))] = country.alpha_2
        names[country.alpha_2.lower()] = country.alpha_2
        names[country.alpha_3.lower()] = country.alpha_2
    names.update(_ALIASES)
    return names


def parse_country(text: str) -> str:
    """The ISO 3166 alpha-2 code of a country name or code; ValueError("unknown_country") otherwise."""
    key = " ".join(fold(text).replace(".", " ").split())
    code = _names().get(key)
    if code is None:
        raise ValueError("unknown_country")
    return code
