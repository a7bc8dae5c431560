"""The conversation review (bot/core/analytics/review.py) on SQLite and PostgreSQL: search by each filter, the
transcript, the not-understood messages grouped by similarity, and the NLU YAML export (valid YAML whatever the
customer wrote; Rasa's own reader in tests/assistant/test_nlu_export.py). The intents the core knows match domain/.

Run as a module, it prints bot/core/analytics/intents.py's list from domain/ (to paste after adding an intent)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
import yaml
from sqlalchemy.orm import Session

from bot.core.analytics import review
from bot.core.analytics.intents import INTENTS
from bot.core.analytics.nlu_export import clean_example, nlu_yaml
from bot.core.analytics.outcomes import CONTAINED_ASSUMED, CONTAINED_CONFIRMED, HANDED_OVER, NOT_HELPED_OUTCOME
from tests.core.analytics_support import NOW, fallback_log, record
from tests.domain_files import load_domain


def domain_intents() -> list[str]:
    return sorted(i if isinstance(i, str) else next(iter(i)) for i in load_domain()["intents"])


def test_the_core_knows_the_domains_intents() -> None:
    assert list(INTENTS) == domain_intents(), "regenerate: .venv/core/bin/python -m tests.core.test_review"


def fill(session: Session) -> dict[str, int]:
    day = timedelta(days=1)
    refs = {
        "helped": record(session, "web:aaa", NOW - 3 * day, [
            ("customer", "Kaip užsiregistruoti?", "how_to_register"), ("bot", "Štai taip...", None)],
            satisfaction="helped", customer_id="C-1001"),
        "handed": record(session, "web:bbb", NOW - 2 * day, [
            ("customer", "noriu kalbėti su žmogumi", "request_human"), ("bot", "Perduodu", None)],
            handoff_reason="customer_request"),
        "en": record(session, "whatsapp:+37060000000", NOW - day, [
            ("customer", "my invoice is wrong", "?fallback"), ("bot", "Sorry?", None),
            ("customer", "how do I register", "how_to_register")], language="en", channel="whatsapp",
            steps=[("registration_form", "started")]),
        "not_helped": record(session, "web:ccc", NOW, [("customer", "kas tai?", "?fallback")],
                             satisfaction="not_helped", customer_id="C-1002"),
    }
    return {name: r.ref for name, r in refs.items()}


def ids(found: dict) -> list[int]:
    return [s["id"] for s in found["sessions"]]


def test_search_by_each_filter(session: Session) -> None:
    refs = fill(session)
    everything = review.search(session, review.Filters())
    assert ids(everything) == [refs["not_helped"], refs["en"], refs["handed"], refs["helped"]]  # newest first
    assert everything["total"] == 4 and everything["pages"] == 1
    one_day = (NOW - timedelta(days=2)).date()
    assert ids(review.search(session, review.Filters(start=one_day, end=one_day))) == [refs["handed"]]
    assert ids(review.search(session, review.Filters(start=NOW.date()))) == [refs["not_helped"]]
    assert ids(review.search(session, review.Filters(language="en"))) == [refs["en"]]
    assert ids(review.search(session, review.Filters(intent="how_to_register"))) == [refs["en"], refs["helped"]]
    assert ids(review.search(session, review.Filters(customer_id="C-1001"))) == [refs["helped"]]
    assert ids(review.search(session, review.Filters(conversation="whatsapp:"))) == [refs["en"]]
    assert ids(review.search(session, review.Filters(conversation="%"))) == []  # no wildcard
    outcomes = {o: ids(review.search(session, review.Filters(outcome=o))) for o in (
        HANDED_OVER, NOT_HELPED_OUTCOME, CONTAINED_CONFIRMED, CONTAINED_ASSUMED)}
    assert outcomes == {HANDED_OVER: [refs["handed"]], NOT_HELPED_OUTCOME: [refs["not_helped"]],
                        CONTAINED_CONFIRMED: [refs["helped"]], CONTAINED_ASSUMED: [refs["en"]]}
    both = review.Filters(language="lt", outcome=CONTAINED_CONFIRMED, customer_id="C-1001")
    assert ids(review.search(session, both)) == [refs["helped"]]
    item = review.search(session, review.Filters(language="en"))["sessions"][0]
    assert item["messages"] == 2 and item["not_understood"] == 1 and item["outcome"] == CONTAINED_ASSUMED


def test_search_pages(session: Session) -> None:
    for n in range(7):
        record(session, f"web:{n}", NOW - timedelta(hours=n))
    first, last = (review.search(session, review.Filters(), page=p, per_page=3) for p in (1, 3))
    assert first["pages"] == 3 and len(first["sessions"]) == 3 and len(last["sessions"]) == 1
    assert review.search(session, review.Filters(), page=99, per_page=3)["page"] == 3


def test_filters_from_a_query_string_drop_what_is_unusable() -> None:
    filters = review.Filters.parse({"start": "2026-12-01", "end": "yesterday", "language": "de",
                                    "outcome": "handed_over", "intent": " greet ", "customer": "", "conversation": "x"})
    assert filters == review.Filters(start=date(2026, 12, 1), outcome="handed_over", intent="greet", conversation="x")
    assert review.Filters.parse(filters.as_query()) == filters


def test_a_transcript_in_order_with_its_flow_steps(session: Session) -> None:
    refs = fill(session)
    found = review.transcript(session, refs["en"])
    assert [(m["sender"], m["text"], m["fallback"]) for m in found["messages"]] == [
        ("customer", "my invoice is wrong", True), ("bot", "Sorry?", False),
        ("customer", "how do I register", False)]
    assert found["flow_steps"] == [{"flow": "registration_form", "step": "started",
                                    "at": (NOW - timedelta(days=1)).isoformat()}]
    assert found["session"]["channel"] == "whatsapp" and found["session"]["language"] == "en"
    assert review.transcript(session, 10**9) is None


# ------------------------------------------------------------------ grouped


def message(text: str, language: str = "lt", guesses: tuple = ()) -> review.Message:
    return review.Message(text, language, NOW, guesses)


def test_similar_messages_group_together_across_case_and_diacritics() -> None:
    groups = review.group_messages([
        message("Kaip pakeisti sąskaitos adresą?"), message("kaip pakeisti saskaitos adresa"),
        message("Kaip pakeisti sąskaitos adresą įmonei?"), message("How do I change the invoice address?", "en"),
        message("how can I change the invoice address", "en"), message("oras šiandien gražus"),
        message("???"), message("???"), message("[number]"),
    ])
    shaped = [(g.count, sorted(g.texts), dict(g.languages)) for g in groups]
    assert shaped[0] == (3, sorted(["Kaip pakeisti sąskaitos adresą?", "Kaip pakeisti sąskaitos adresą įmonei?",
                                    "kaip pakeisti saskaitos adresa"]), {"lt": 3})
    assert (2, ["How do I change the invoice address?", "how can I change the invoice address"],
            {"en": 2}) in shaped
    assert (2, ["???"], {"lt": 2}) in shaped and (1, ["[number]"], {"lt": 1}) in shaped
    assert len(groups) == 5


def test_grouping_is_deterministic_and_keeps_guesses() -> None:
    messages = [message("sąskaita neatėjo", guesses=(("invoice_timing", 0.41),)),
                message("saskaita neatejo", guesses=(("invoice_timing", 0.38), ("payment_methods", 0.2))),
                message("kur mano sąskaita neatėjo")]
    first = [g.as_dict() for g in review.group_messages(messages)]
    assert first == [g.as_dict() for g in review.group_messages(list(reversed(messages)))]
    assert first[0]["guesses"][0] == {"intent": "invoice_timing", "count": 2, "confidence": 0.41}
    assert first[0]["count"] == 3


def test_thousands_of_messages_group_quickly() -> None:
    words = ["sąskaita", "kortelė", "slaptažodis", "taškai", "narystė", "registracija", "produktas", "pristatymas"]
    messages = [message(f"{words[n % 8]} {words[n * 7 % 8]} klausimas {n % 300}") for n in range(5000)]
    started = time.perf_counter()
    groups = review.group_messages(messages)
    assert time.perf_counter() - started < 2.0
    assert sum(g.count for g in groups) == 5000


def test_not_understood_from_the_recorded_turns_with_the_logs_guesses(session: Session) -> None:
    fill(session)
    fallback_log(session, "web:ccc", NOW, "kas tai?", [{"name": "capabilities", "confidence": 0.35}])
    groups = review.not_understood(session, review.Filters())
    assert sorted((g["examples"][0], g["languages"]) for g in groups) == [
        ("kas tai?", {"lt": 1}), ("my invoice is wrong", {"en": 1})]
    guessed = next(g for g in groups if g["examples"] == ["kas tai?"])
    assert guessed["guesses"] == [{"intent": "capabilities", "count": 1, "confidence": 0.35}]
    assert [g["examples"] for g in review.not_understood(session, review.Filters(language="en"))] == [
        ["my invoice is wrong"]]


# ------------------------------------------------------------------ the export


HOSTILE = [
    "kas: tai? # ne komentaras",
    "- prasideda brūkšniu",
    "  tarpai  ir\ttabai\nir eilutės\u2028ir\u2029daugiau\x85",
    'kabutės "dvigubos" ir \'viengubos\' {json: true} [sąrašas, 1]',
    "[EOS R5](product) — ne subjektas",
    '[pavadinimas]{"entity": "x"}',
    "&anchor *alias !tag %directive @ ` |",
    "valdymo\x00simboliai\x07\u200b\ufeff",
    "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ 😀",
    "---",
    "...",
]


def test_the_export_is_valid_yaml_in_rasas_format() -> None:
    text = review.export([("password_reset", ["pamiršau slaptažodį", "I forgot my password"]),
                          ("greet", HOSTILE), ("password_reset", ["pamiršau slaptažodį"])])
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    assert [item["intent"] for item in data["nlu"]] == ["greet", "password_reset"]
    examples = {item["intent"]: [line[2:] for line in item["examples"].splitlines()] for item in data["nlu"]}
    assert examples["password_reset"] == ["pamiršau slaptažodį", "I forgot my password"]
    assert examples["greet"] == [clean_example(t) for t in HOSTILE]
    assert all("\n" not in e and "](" not in e and "]{" not in e for e in examples["greet"])
    assert "tarpai ir tabai ir eilutės ir daugiau" in examples["greet"]
    assert "ąčęėįšųūž ĄČĘĖĮŠŲŪŽ 😀" in examples["greet"]


def test_the_export_takes_only_the_domains_intents() -> None:
    with pytest.raises(review.UnknownIntent):
        review.export([("drop_tables", ["x"])])


def test_empty_selections_export_an_empty_list() -> None:
    assert yaml.safe_load(nlu_yaml({"greet": ["", "   ", "\x00"]})) == {"version": "3.1", "nlu": []}


if __name__ == "__main__":
    print("INTENTS: tuple[str, ...] = (\n" + "".join(f'    "{name}",\n' for name in domain_intents()) + ")")
