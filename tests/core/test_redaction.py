"""Redaction of customer text before the fallback log stores it (bot/core/domain/redaction.py)."""

from __future__ import annotations

import pytest

from bot.core.domain.redaction import clip, redact


@pytest.mark.parametrize("text, expected", [
    ("jonas.petraitis@gmail.com", "[e-mail]"),
    ("Mano paštas: Jonas_P+canon@imone.co.uk.", "Mano paštas: [e-mail]."),
    ("rašykit ąžuolas@paštas.lt arba b@c.lt", "rašykit [e-mail] arba [e-mail]"),
    ("<a@b.lt>", "<[e-mail]>"),
])
def test_email_addresses_are_hidden(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("tel. +370 612 34567", "tel. [number]"),
    ("skambinkit 861234567", "skambinkit [number]"),
    ("(8 612) 34567", "([number]"),
    ("card 4111-1111-1111-1111 expired", "card [number] expired"),
    ("card 4111 1111 1111 1111", "card [number]"),
    ("serijos nr. SN0123456789", "serijos nr. SN[number]"),
    ("IBAN LT12 1000 0111 0100 1000", "IBAN LT[number]"),
    ("123456", "[number]"),
    ("12 34 56", "[number]"),
    ("12\u201334\u201356", "[number]"),  # en dashes
    ("card 4111.1111.1111.1111", "card [number]"),
    ("4111/1111/1111/1111", "[number]"),
])
def test_runs_of_six_digits_or_more_are_hidden(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Mano slaptažodis Labas123! neveikia", "Mano slaptažodis [secret] neveikia"),
    ("slaptazodis yra Vasara2026", "slaptazodis [secret]"),
    ("my password is hunter2, help", "my password [secret], help"),
    ("password:hunter2", "password [secret]"),
    ("cvv: 123", "cvv [secret]"),
    ("PIN 1234", "PIN [secret]"),
])
def test_the_word_after_a_password_pin_or_security_code_is_hidden(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["kaip pakeisti slaptažodį?", "pinigai nuskaityti du kartus", "spin", "password?"])
def test_words_that_only_contain_or_name_a_secret_stay(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "12345",  # five digits
    "EOS R5 ir 2000 taškų",
    "PIXMA G3410, 3 vnt.",
    "123\n456",  # a line break ends a number
    "1234 5x",
    "I have 3 cameras and 200 points",
])
def test_short_numbers_and_ordinary_text_stay(text: str) -> None:
    assert redact(text) == text


def test_an_email_with_digits_is_one_email_and_its_neighbours_are_kept() -> None:
    assert redact("jonas1234567@x.lt, tel 860000000, ok") == "[e-mail], tel [number], ok"


def test_markup_is_not_redactions_business() -> None:
    assert redact("<script>alert(1)</script>") == "<script>alert(1)</script>"


@pytest.mark.parametrize("text, expected", [
    ("1 " * 5000, "[number] "),
    ("1-" * 5000 + "x", "[number]-x"),
    ("a" * 10_000 + "@", "a" * 10_000 + "@"),
    ("a@" * 5000, "a@" * 5000),  # no domain with a dot
])
def test_long_inputs(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_clip_keeps_short_text_and_marks_a_cut() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcd", 3) == "ab…" and len(clip("x" * 5000, 1000)) == 1000
    with pytest.raises(ValueError):
        clip("abc", 0)
