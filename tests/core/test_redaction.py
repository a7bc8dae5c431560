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


# ------------------------------------------------------------------ issue 16: what reaches analytics, both languages


@pytest.mark.parametrize("text, expected", [
    # Lithuanian mobile numbers as customers write them
    ("Mano tel. +370 612 34567, skambinkite", "Mano tel. [number], skambinkite"),
    ("paskambinkit 8 612 34567 po pietų", "paskambinkit [number] po pietų"),
    ("tel.: +37061234567", "tel.: [number]"),
    ("numeris 8-612-34567", "numeris [number]"),
    ("tel: 8 (612) 34 567", "tel: [number]"),
    ("+370 (5) 212 3456 – biuras", "[number] – biuras"),
    # English
    ("Call me on +370 612 34567 tomorrow", "Call me on [number] tomorrow"),
    ("my number is 06 12 34 56 7", "my number is [number]"),
    ("UK office +44 20 7946 0958", "UK office [number]"),
])
def test_phone_numbers_in_both_languages(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("kortelė 4111 1111 1111 1111 galioja iki 12/28", "kortelė [number] galioja iki 12/28"),
    ("kortelės nr. 5500-0000-0000-0004, cvc 123", "kortelės nr. [number], cvc [secret]"),
    ("card no. 5500-0000-0000-0004.", "card no. [number]."),
    ("AmEx 3782 822463 10005 was declined", "AmEx [number] was declined"),
    ("paid with 4111111111111111", "paid with [number]"),
])
def test_payment_card_numbers_in_both_languages(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("rašykite jūratė.šimkutė@įmonė.lt", "rašykite [e-mail]"),
    ("Rašykite: ONA@Gmail.COM!", "Rašykite: [e-mail]!"),
    ("mano el. paštas jonas.petraitis @ gmail.com", "mano el. paštas [e-mail]"),
    ("paštas: jonas eta gmail.com", "paštas: [e-mail]"),
    ("rašykit ona [eta] imone [taškas] lt", "rašykit [e-mail]"),
    ("email me at jonas(at)gmail.com", "email me at [e-mail]"),
    ("jonas [at] gmail [dot] com please", "[e-mail] please"),
    ("Jonas AT gmail DOT com", "[e-mail]"),
])
def test_email_addresses_also_when_written_to_dodge_filters(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "meet at canon.lt please",  # a plain "at" needs a spelled dot
    "I am at home. Call later",
    "EOS R5 @ 2000 eur",
    "Ar galiu eta",
    "a (at) b",
    "1,234,567 taškų",
])
def test_words_like_at_and_eta_alone_stay(text: str) -> None:
    assert redact(text) == text


def test_spelled_addresses_take_linear_time() -> None:
    import time

    started = time.perf_counter()
    for text in ("a@ " * 5000, "a (at) " * 5000, "a at b dot " * 5000, "a eta " * 5000):
        redact(text)
    assert time.perf_counter() - started < 1.0
