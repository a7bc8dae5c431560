"""The clarifying fallback (actions/fallback.py) called directly with the project's domain."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import fallback
from tests.assistant.helpers import domain as load_domain

DOMAIN = load_domain()


class FakeCore:
    """Records the fallback log calls in place of the HTTP client."""

    def __init__(self) -> None:
        self.logged: List[Dict[str, Any]] = []

    async def record_fallback(self, conversation_id, channel, language, text, intents, in_a_row) -> None:
        self.logged.append({"conversation_id": conversation_id, "channel": channel, "language": language,
                            "text": text, "intents": intents, "in_a_row": in_a_row})


@pytest.fixture(autouse=True)
def core(monkeypatch) -> FakeCore:
    fake = FakeCore()
    monkeypatch.setattr(fallback.CoreClient, "from_env", classmethod(lambda cls: fake))
    return fake


def user(text: str, intent: str, ranking: List[tuple] = ()) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {
        "intent": {"name": intent, "confidence": 0.5},
        "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking]}}


def bot(response: str) -> Dict[str, Any]:
    return {"event": "bot", "text": "...", "metadata": {"utter_action": response}}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def answered(response: str, by: str = "action_fallback") -> List[Dict[str, Any]]:
    """The bot's turn after a message: the action that answered it and what it said."""
    return [action("action_extract_slots"), action(by), bot(response), action("action_listen")]


def tracker(events: List[Dict[str, Any]], language: str = "lt") -> Tracker:
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker("c-1", {"language": language}, {**latest["parse_data"], "text": latest["text"]}, events, False,
                   None, {}, "action_listen")


def run(the_tracker: Tracker) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    asyncio.run(fallback.ActionFallback().run(dispatcher, the_tracker, DOMAIN))
    return dispatcher.messages


NEAR_MISS = [("nlu_fallback", 0.5), ("payment_problem", 0.35), ("greet", 0.2), ("cps_invitation", 0.14),
             ("membership_price", 0.12), ("card_payment", 0.11), ("bank_transfer", 0.02)]


@pytest.mark.parametrize("language, titles", [
    ("lt", ["Mokėjimo problema", "Kvietimas į CPS (500 taškų)", "Narystės kaina", "Kitas klausimas"]),
    ("en", ["A problem with the payment", "The CPS invitation (500 points)", "Membership price", "Something else"]),
])
def test_a_first_miss_asks_which_of_the_likeliest_topics_was_meant(language, titles):
    [message] = run(tracker([user("nuskaite du kartus", "nlu_fallback", NEAR_MISS)], language))
    assert message["response"] == "utter_did_you_mean"
    assert [b["title"] for b in message["buttons"]] == titles
    assert [b["payload"] for b in message["buttons"]] == ["/payment_problem", "/cps_invitation",
                                                          "/membership_price", "/capabilities"]


def test_every_miss_is_logged_for_review(core):
    events = [user("blrg", "nlu_fallback", NEAR_MISS), *answered("utter_did_you_mean"), user("zzz", "nlu_fallback")]
    run(tracker(events[:1]))
    run(tracker(events, "en"))
    assert [(c["text"], c["language"], c["in_a_row"]) for c in core.logged] == [("blrg", "lt", 1), ("zzz", "en", 2)]
    assert core.logged[0]["intents"][1] == {"name": "payment_problem", "confidence": 0.35}
    assert core.logged[0]["conversation_id"] == "c-1"


def test_a_follow_up_is_offered_the_topic_just_answered_first():
    events = [user("how do I register my products?", "register_products"),
              *answered("utter_register_products", "utter_register_products"),
              user("where do I do that?", "nlu_fallback", NEAR_MISS)]
    [message] = run(tracker(events, "en"))
    assert [b["payload"] for b in message["buttons"]] == ["/register_products", "/payment_problem",
                                                          "/cps_invitation", "/capabilities"]


def test_the_previous_message_counts_only_when_it_was_a_topic():
    events = [user("hi", "greet"), *answered("utter_greet", "utter_greet"), user("blrg", "nlu_fallback", NEAR_MISS)]
    [message] = run(tracker(events))
    assert message["buttons"][0]["payload"] == "/payment_problem"


@pytest.mark.parametrize("person", ["request_human", "payment_problem+request_human"])
def test_a_likely_request_for_a_person_adds_the_button_for_one(person):
    ranking = [("nlu_fallback", 0.5), ("payment_problem", 0.45), (person, 0.4), ("card_payment", 0.1)]
    [message] = run(tracker([user("nuskaite du kartus, duokit kazka", "nlu_fallback", ranking)]))
    assert [b["payload"] for b in message["buttons"]] == ["/payment_problem", "/card_payment", "/request_human",
                                                          "/capabilities"]
    assert message["buttons"][2]["title"] == "Pokalbis su kolega"


def test_small_talk_and_noise_are_not_suggested_so_the_main_topics_are_offered():
    gibberish = [("nlu_fallback", 0.5), ("affirm", 0.38), ("stop", 0.13), ("request_human", 0.1),
                 ("how_to_register", 0.05)]
    [message] = run(tracker([user("qqq zzzz", "nlu_fallback", gibberish)]))
    assert message["response"] == "utter_default"


@pytest.mark.parametrize("intents, response", [
    (["nlu_fallback"], "utter_did_you_mean"),
    (["greet", "nlu_fallback"], "utter_did_you_mean"),
    (["nlu_fallback", "nlu_fallback"], "utter_offer_human"),
    (["nlu_fallback", "nlu_fallback", "nlu_fallback"], "utter_offer_human"),
    (["nlu_fallback", "greet", "nlu_fallback"], "utter_did_you_mean"),  # not in a row
])
def test_only_the_second_miss_in_a_row_offers_a_colleague(intents, response):
    events = []
    for i, intent in enumerate(intents[:-1]):
        by = "action_fallback" if intent == "nlu_fallback" else "utter_greet"
        events += [user(f"message {i}", intent, NEAR_MISS), *answered("utter_did_you_mean", by)]
    [message] = run(tracker(events + [user("latest", intents[-1], NEAR_MISS), action("action_extract_slots")]))
    assert message["response"] == response


@pytest.mark.parametrize("handled_by", ["validate_product_details_form", "action_deliver_agent_messages"])
def test_a_message_the_bot_handled_otherwise_ends_the_row(handled_by):
    # a serial number the form accepted, or a message to the agent, was also "nlu_fallback" to the model
    events = [user("XK1234567", "nlu_fallback"), action(handled_by), action("action_listen"),
              user("blrg", "nlu_fallback", NEAR_MISS)]
    [message] = run(tracker(events))
    assert message["response"] == "utter_did_you_mean"


def test_a_paused_conversation_s_messages_end_the_row():
    events = [user("help", "nlu_fallback"), {"event": "pause"}, user("hello?", "nlu_fallback"),
              {"event": "resume"}, action("action_handoff_closed"), action("action_listen"),
              user("blrg", "nlu_fallback", NEAR_MISS)]
    assert fallback.fallbacks_in_a_row(tracker(events)) == 1


def test_every_suggestible_intent_has_a_title_in_both_languages():
    topics = fallback.topic_intents(DOMAIN)
    assert topics <= set(DOMAIN["intents"]) and "request_human" not in topics and "capabilities" not in topics
    for intent in topics | {fallback.ANOTHER_TOPIC_INTENT, fallback.PERSON_INTENT}:
        lt, en = (fallback.topic_title(DOMAIN, intent, language) for language in ("lt", "en"))
        assert lt and en and lt != en, intent


def test_every_answerable_topic_can_be_suggested():
    # an FAQ intent missing from domain/topic_titles.yml would never be offered by "Did you mean ...?"
    not_topics = {"greet", "goodbye", "thank", "capabilities", "out_of_scope", "request_human", "switch_language",
                  "affirm", "deny", "dont_know", "stop", "payment_problem+request_human"}
    assert set(DOMAIN["intents"]) - not_topics == fallback.topic_intents(DOMAIN)
