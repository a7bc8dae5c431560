"""Countries typed by customers: Lithuanian (in any case: "Lietuvoje", "iš Lenkijos") or English names, ISO
alpha-2 or alpha-3 codes, alone or in a short answer ("from Latvia", "bought it in Poland")."""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

import pycountry

from bot.text import fold

_ALIASES = {
    "uk": "GB", "britain": "GB", "great britain": "GB", "anglija": "GB", "didzioji britanija": "GB",
    "britanija": "GB", "jk": "GB", "usa": "US", "america": "US", "amerika": "US", "jav": "US",
    "jungtines valstijos": "US", "holland": "NL", "olandija": "NL",
}
_LITHUANIAN_ALIASES = (
    "anglija", "didzioji britanija", "britanija", "amerika", "jungtines valstijos", "olandija"
)
# Folded Lithuanian case endings (nominative, genitive, dative, accusative, locative...), longest first.
_ENDINGS = sorted(
    "iuose uose ojoje osios ajame asis iams iais omis emis iai iui ojo oje eje yje uje ose ese oji "
    "aja ams ais oms ems aus ui io iu as is ys us os es ai oj ej yj a e i o u y".split(),
    key=len, reverse=True,
)
_PREPOSITIONS = frozenset({"in", "from", "at", "the", "is", "i"})  # "is" and "i": Lithuanian iš and į, folded
_NOT_COUNTRIES_IN_SENTENCES = frozenset({"gana"})  # Lithuanian "quite", not Ghana, inside a longer answer
_LONGEST_NAME = 10  # words ("Jungtinė Didžiosios Britanijos ir Šiaurės Airijos Karalystė" has 7)
_LONGEST_ANSWER = 30  # words searched for a country name


def _words(text: str) -> list[str]:
    """Folded words: "Côte d'Ivoire." -> ["cote", "d", "ivoire"]."""
    return re.sub(r"[.,;:!?()'\"’]", " ", fold(text)).split()


def _stem(word: str) -> str:
    """A folded Lithuanian word without its case ending: "lietuvoje", "lietuvos", "lietuva" -> "lietuv"."""
    ending = next((e for e in _ENDINGS if word.endswith(e) and len(word) - len(e) >= 3), "")
    return word[: len(word) - len(ending)]


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Folded English and Lithuanian names, codes and aliases -> alpha-2."""
    names: dict[str, str] = {}
    for country in pycountry.countries:
        for name in _english_names(country):
            names[" ".join(_words(name))] = country.alpha_2
            names[" ".join(_words(_lithuanian().gettext(name)))] = country.alpha_2
        names[country.alpha_2.lower()] = country.alpha_2
        names[country.alpha_3.lower()] = country.alpha_2
    names.update(_ALIASES)
    return names


@lru_cache(maxsize=1)
def _stems() -> dict[str, str]:
    """Stemmed Lithuanian names -> alpha-2, without the stems two countries share."""
    stems: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for name in _english_names(country):
            stems.setdefault(_stemmed(_words(_lithuanian().gettext(name))), set()).add(country.alpha_2)
    for alias in _LITHUANIAN_ALIASES:
        stems.setdefault(_stemmed(alias.split()), set()).add(_ALIASES[alias])
    return {stem: codes.pop() for stem, codes in stems.items() if len(codes) == 1}


@lru_cache(maxsize=1)
def _lithuanian() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["lt"])


def _english_names(country: object) -> list[str]:
    names = (getattr(country, key, None) for key in ("name", "common_name", "official_name"))
    return [name for name in names if name]


def _stemmed(words: list[str]) -> str:
    return " ".join(_stem(word) for word in words)


def _lookup(words: list[str]) -> str | None:
    """The country these words name exactly, as a name, code or alias, or in a Lithuanian case."""
    return _names().get(" ".join(words)) or _stems().get(_stemmed(words))


def _in_sentence(words: list[str]) -> str | None:
    """The one country named inside a short answer (names and aliases only: "in" or "it" are no codes
    here)."""
    if len(words) > _LONGEST_ANSWER:
        return None
    found: dict[int, str] = {}
    for size in range(min(len(words), _LONGEST_NAME), 0, -1):
        for start in range(len(words) - size + 1):
            span = words[start:start + size]
            if found.keys() & range(start, start + size) or (size == 1 and _not_a_name(span[0])):
                continue
            code = _lookup(span)
            if code:
                found.update(dict.fromkeys(range(start, start + size), code))
    codes = set(found.values())
    return codes.pop() if len(codes) == 1 else None


def _not_a_name(word: str) -> bool:
    return (len(word) <= 3 and word not in _ALIASES) or word in _NOT_COUNTRIES_IN_SENTENCES


def parse_country(text: str) -> str:
    """The ISO 3166 alpha-2 code of a country name (any Lithuanian case) or code, alone, after "in", "from",
    "iš"... or inside a short answer naming one country; ValueError("unknown_country") otherwise."""
    words = _words(text)
    code = _lookup(words)
    while code is None and len(words) > 1 and words[0] in _PREPOSITIONS:
        words = words[1:]
        code = _lookup(words)
    code = code or _in_sentence(words)
    if code is None:
        raise ValueError("unknown_country")
    return code
