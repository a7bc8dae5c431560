"""Answers about the customer's own account, over the REST webhook, through the real core service.

The token travels in the message metadata (`customer_token`), as the support site sends it.
"""

from __future__ import annotations

import time

import jwt
import pytest

from tests.assistant.conftest import TOKEN_SECRET
from tests.assistant.helpers import Chat

pytestmark = pytest.mark.servers


def token(customer: str, secret: str = TOKEN_SECRET, expires_in: int = 3600) -> str:
    now = int(time.time())
    return jwt.encode({"sub": customer, "iat": now, "exp": now + expires_in}, secret, algorithm="HS256")


def ask(rasa_url, customer_token, question):
    return Chat(rasa_url, token=customer_token).send(question)


@pytest.mark.parametrize("language, question", [("lt", "Kokius CPS lygius galiu pasirinkti?"),
                                                ("en", "Which CPS tiers can I choose?")])
def test_verified_customer_gets_their_eligible_tiers(rasa_url, language, question):
    replies = ask(rasa_url, token("demo-2000"), question)
    assert [(r.response, r.language) for r in replies] == [("utter_my_tiers", language)]
    names = ("Sidabras", "Auksas", "Platina") if language == "lt" else ("Silver", "Gold", "Platinum")
    assert all(name in replies[0].text for name in names) and "Enterprise" not in replies[0].text


def test_enterprise_only_above_2500(rasa_url):
    assert "Enterprise" in ask(rasa_url, token("demo-enterprise"), "Which CPS tiers can I choose?")[0].text


@pytest.mark.parametrize("customer, question, response, fragment", [
    ("demo-missing", "How many points do I have?", "utter_my_points_not_invited", "200 more"),
    ("demo-silver", "kiek tasku turiu?", "utter_my_points_invited", "650"),
    ("demo-pending", "Is my application approved yet?", "utter_my_application_submitted", "expected by"),
    ("demo-gold", "Kiek laiko trunka patvirtinimas?", "utter_my_application_approved", "patvirtinta"),
    ("demo-member", "Will my CPS membership number change?", "utter_my_membership", "membership number CPS-"),
    ("demo-gold", "Will my CPS membership number change?", "utter_my_membership_none", "new one"),
    ("demo-pending", "Kiek taškų turiu?", "utter_my_account_not_approved", "nepatvirtinta"),
])
def test_account_answers(rasa_url, customer, question, response, fragment):
    replies = ask(rasa_url, token(customer), question)
    assert [r.response for r in replies] == [response], [r.text for r in replies]
    assert fragment in replies[0].text


@pytest.mark.parametrize("bad_token", [
    token("demo-2000", expires_in=-60),                  # expired
    token("demo-2000", secret="someone-elses-secret"),    # forged
    "not-a-jwt",
    None,                                                # anonymous
])
def test_without_a_valid_token_only_general_guidance_and_a_login_hint(rasa_url, bad_token):
    replies = ask(rasa_url, bad_token, "Which CPS tiers can I choose?")
    assert [(r.response, r.language) for r in replies] == [("utter_cps_tiers", "en"), ("utter_login_hint", "en")]
