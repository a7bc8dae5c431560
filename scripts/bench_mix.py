"""The bench's conversation mix: scripted conversations with weights (scripts/bench_mix.yml for our assistant,
scripts/stock_bot_mix.yml for the stock `rasa init` bot), read and checked here; the pick of a conversation; how
many fresh demo customers a level may need; and whether a turn's answer is the one the script expects.

A mix file holds `domain` (the domain file or folder whose responses name the answers, relative to the
repository), `default_language` (the language of unconditioned response variations; absent: languages are not
checked) and `conversations`, each with `name`, `weight` (a positive integer), `customer` (`anonymous`, a demo
customer's id, or `fresh <demo id>`), an optional `language` and `turns`: `say` (the message) and `expect` (the
response names of the answer, in order, separated by spaces; `a|b` accepts either), with an optional `language`.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ANONYMOUS, FRESH = "anonymous", "fresh"


class MixError(ValueError):
    """A mix file that cannot be played as written."""


@dataclass(frozen=True)
class Customer:
    """Who the simulated customer is: anonymous, a demo customer signed in, or a fresh copy of one."""

    demo: str | None = None  # None: anonymous
    fresh: bool = False

    @classmethod
    def parse(cls, text: str) -> Customer:
        words = str(text).split()
        if words == [ANONYMOUS]:
            return cls()
        if len(words) == 1 and words[0] != FRESH:
            return cls(words[0])
        if len(words) == 2 and words[0] == FRESH:
            return cls(words[1], fresh=True)
        raise MixError(f"customer {text!r}: expected 'anonymous', a demo id or 'fresh <demo id>'")

    def __str__(self) -> str:
        return ANONYMOUS if self.demo is None else f"{FRESH} {self.demo}" if self.fresh else self.demo


@dataclass(frozen=True)
class Turn:
    say: str
    expect: tuple[frozenset[str], ...]  # per message of the answer, the response names accepted
    language: str | None = None  # every message of the answer in this language (None: not checked)

    def mismatch(self, answer: list[tuple[str, str | None]], default_language: str | None) -> str | None:
        """Why the answer (response name, variation language per message) is not what the script expects; None
        when it is. A variation without a language is in `default_language`."""
        names = [name for name, _ in answer]
        if len(names) != len(self.expect) or any(n not in ok for n, ok in zip(names, self.expect, strict=True)):
            return f"expected {describe(self.expect)}, got {' '.join(names) or 'nothing'}"
        if self.language and default_language:
            languages = [language or default_language for _, language in answer]
            if any(language != self.language for language in languages):
                return f"expected every message in {self.language}, got {' '.join(languages)}"
        return None


def describe(expect: tuple[frozenset[str], ...]) -> str:
    return " ".join("|".join(sorted(names)) for names in expect)


@dataclass(frozen=True)
class Conversation:
    name: str
    weight: int
    customer: Customer
    turns: tuple[Turn, ...]


@dataclass(frozen=True)
class Mix:
    domain: Path
    default_language: str | None
    conversations: tuple[Conversation, ...]

    def pick(self, rng: random.Random, fresh_left: set[str] | None = None) -> Conversation:
        """A conversation at random by weight; with `fresh_left`, only fresh conversations of those demos (and
        all the others)."""
        allowed = [c for c in self.conversations
                   if fresh_left is None or not c.customer.fresh or c.customer.demo in fresh_left]
        if not allowed:
            raise MixError("no conversation of the mix can start (no fresh customer left)")
        return rng.choices(allowed, weights=[c.weight for c in allowed])[0]

    @property
    def total_weight(self) -> int:
        return sum(c.weight for c in self.conversations)

    def mean_turns(self) -> float:
        """Turns per conversation, on average over the picks."""
        return sum(c.weight * len(c.turns) for c in self.conversations) / self.total_weight

    def fresh_conversations(self) -> dict[str, int]:
        """Per demo customer, the conversations that need a fresh copy of it (one round of the mix)."""
        counts: dict[str, int] = {}
        for c in self.conversations:
            if c.customer.fresh and c.customer.demo:
                counts[c.customer.demo] = counts.get(c.customer.demo, 0) + 1
        return counts

    def fresh_needed(self, seconds: float, turns_per_second: float, concurrency: int) -> dict[str, int]:
        """Fresh copies of each demo customer that a level of `seconds` may use at most, when it serves at most
        `turns_per_second`: its share of the conversations the level can start, plus one in flight per customer."""
        conversations = seconds * turns_per_second / self.mean_turns()
        weights: dict[str, int] = {}
        for c in self.conversations:
            if c.customer.fresh and c.customer.demo:
                weights[c.customer.demo] = weights.get(c.customer.demo, 0) + c.weight
        # rounded first: 1000.0000000001 conversations are 1000
        return {demo: math.ceil(round(conversations * weight / self.total_weight, 6)) + concurrency
                for demo, weight in weights.items()}

    def summary(self) -> list[str]:
        """One line per conversation: weight, share of conversations and of turns, customer, turns."""
        turns = sum(c.weight * len(c.turns) for c in self.conversations)
        lines = []
        for c in self.conversations:
            who = str(c.customer)
            lines.append(f"{c.name:<32} weight {c.weight:>3} ({100 * c.weight / self.total_weight:4.1f}% of "
                         f"conversations, {100 * c.weight * len(c.turns) / turns:4.1f}% of turns)  "
                         f"{len(c.turns)} turns, {who}")
        return lines


def _turn(raw: Any, where: str, language: str | None) -> Turn:
    if not isinstance(raw, dict) or not isinstance(raw.get("say"), str) or not raw["say"].strip():
        raise MixError(f"{where}: a turn needs a non-empty 'say'")
    words = str(raw.get("expect") or "").split()
    if not words:
        raise MixError(f"{where}: a turn needs 'expect' (the response names of the answer)")
    return Turn(raw["say"], tuple(frozenset(w.split("|")) for w in words), raw.get("language", language))


def _conversation(raw: Any, index: int) -> Conversation:
    if not isinstance(raw, dict) or not raw.get("name"):
        raise MixError(f"conversation {index + 1}: needs a name")
    name = str(raw["name"])
    weight = raw.get("weight")
    if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
        raise MixError(f"{name}: weight must be a positive integer, not {weight!r}")
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise MixError(f"{name}: needs turns")
    language = raw.get("language")
    return Conversation(name, weight, Customer.parse(raw.get("customer", ANONYMOUS)),
                        tuple(_turn(t, f"{name} turn {n + 1}", language) for n, t in enumerate(turns)))


def parse_mix(content: Any) -> Mix:
    """The mix of a parsed mix file; MixError when it cannot be played."""
    if not isinstance(content, dict) or not isinstance(content.get("conversations"), list):
        raise MixError("a mix needs 'conversations'")
    conversations = tuple(_conversation(raw, n) for n, raw in enumerate(content["conversations"]))
    if not conversations:
        raise MixError("a mix needs at least one conversation")
    names = [c.name for c in conversations]
    if len(set(names)) != len(names):
        raise MixError(f"conversation names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    if not content.get("domain"):
        raise MixError("a mix needs 'domain' (the domain whose responses name the answers)")
    return Mix(ROOT / str(content["domain"]), content.get("default_language"), conversations)


def load_mix(path: Path) -> Mix:
    return parse_mix(yaml.safe_load(path.read_text(encoding="utf-8")))
