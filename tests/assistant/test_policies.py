"""Our RulePolicy (bot/rasa_ext/policies.py) predicts what Rasa's does, with the trained rules of the model."""

from __future__ import annotations

import json
import tarfile
from typing import Any, Dict

import pytest
from rasa.core.policies.rule_policy import RULES
from rasa.core.policies.rule_policy import RulePolicy as RasaRulePolicy
from rasa.shared.core.events import ActionExecuted, UserUttered

from bot.rasa_ext.policies import RulePolicy, matches_text_turn
from tests.assistant.helpers import Chat

CONVERSATIONS = [
    ["Laba diena", "Kaip užsiregistruoti verslo paskyrai?", "taip", "taip", "Kiek laiko trunka patvirtinimas?", "ne",
     "ačiū"],
    ["How do I register for a business account?", "yes", "what documents do I need?", "no", "stop", "thanks"],
    ["Hello", "How do I register my products?", "I can't see the MIGRATE PRODUCTS button", "yes",
     "What does the green tick mean?", "English please", "noriu kalbėti su žmogumi"],
    ["sveiki", "kokius cps lygius galiu rinktis", "kaip sumoketi uz naryste", "/affirm", "stop", "/deny"],
    ["asdf qwerty", "zzz", "Which documents do I need?", "yes", "no", "bye"],
    # "did this help?" (actions/satisfaction.py): answered with a comment; answered, then a question for a comment
    ["Kiek kainuoja CPS narystė?", "ačiū", "taip", "Atsakymai per ilgi", "ačiū"],
    ["How much does CPS membership cost?", "bye", "no", "How do I register my products?", "thanks"],
]


@pytest.fixture(scope="module")
def lookup(model_path) -> Dict[str, Any]:
    with tarfile.open(model_path) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("RulePolicy0/rule_policy.json"))
        return json.load(archive.extractfile(member))["lookup"]


def policies(lookup):
    from rasa.engine.graph import ExecutionContext, GraphSchema

    context = ExecutionContext(GraphSchema({}), "test")
    rasas, ours = (cls(cls.get_default_config(), None, None, context, lookup=lookup)
                   for cls in (RasaRulePolicy, RulePolicy))
    ours.prepare()  # as when the model is loaded
    return rasas, ours


def test_which_rules_could_match_a_message_read_as_text():
    assert matches_text_turn([{"prev_action": {"action_name": "action_listen"}, "user": {"text": "hi"}}])
    assert matches_text_turn([{"prev_action": {"action_name": "action_listen"}, "active_loop": {"name": "f"}}])
    assert not matches_text_turn([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}])
    assert not matches_text_turn([{"prev_action": {"action_name": "utter_greet"}}])


def test_the_trained_rules_have_no_text_rule_and_a_text_rule_is_still_searched(lookup):
    _, ours = policies(lookup)
    assert not ours._text_rules
    text_rule = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"text": "labas"}}])
    _, ours = policies({**lookup, RULES: {**lookup[RULES], text_rule: "utter_greet"}})
    assert ours._text_rules


def test_the_index_offers_every_rule_that_can_match():
    from bot.rasa_ext.policies import candidates, rule_index

    rules = {
        "a": [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}],
        "b": [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "bye"}}],
        "c": [{"prev_action": {"action_name": "utter_greet"}}],
        "d": [{"prev_action": {"action_name": "action_listen"}, "active_loop": {"name": "should_not_be_set"}}],
        "e": [{"user": {"intent": "greet"}}],
        "f": [{}],
    }
    index = rule_index(rules, rules.__getitem__)
    greet = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
    assert candidates(index, greet) == {"a", "d", "e", "f"}
    assert candidates(index, {"prev_action": {"action_name": "utter_greet"}}) == {"c", "f"}


def test_the_text_search_stays_when_a_loop_has_unhappy_paths():
    """Rasa's text search also looks up the loops' unhappy paths (from end-to-end stories); with any, ours searches
    too and finds the interrupted loop as Rasa's does (found by the second review)."""
    from rasa.core.policies.rule_policy import LOOP_WAS_INTERRUPTED, RULES_FOR_LOOP_UNHAPPY_PATH
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActiveLoop
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_dict({"intents": ["greet"], "forms": {"f": {"required_slots": []}},
                               "actions": ["utter_greet"]})
    unhappy = json.dumps([{"active_loop": {"name": "f"}, "prev_action": {"action_name": "action_listen"},
                           "user": {"text": "labas"}}], sort_keys=True)
    rule = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}])
    rasas, ours = policies({RULES: {rule: "utter_greet"}, RULES_FOR_LOOP_UNHAPPY_PATH: {unhappy: LOOP_WAS_INTERRUPTED}})
    tracker = DialogueStateTracker.from_events("c", [
        ActionExecuted("action_listen"), ActiveLoop("f"), ActionExecuted("action_listen"),
        UserUttered("labas", {"name": "greet", "confidence": 1.0})], domain.slots)
    expected = rasas._find_action_from_rules(tracker, domain, True)
    assert expected[2] is True
    assert ours._find_action_from_rules(tracker, domain, True) == expected


def test_a_conversation_start_state_is_searched_as_rasa_searches_it():
    """Rasa takes a rule state and a conversation state that both have no previous action as matching, whatever
    their intents (found by the second review)."""
    starter = json.dumps([{"user": {"intent": "greet"}}])
    lookup = {RULES: {starter: "utter_greet"}}
    rasas, ours = policies(lookup)
    states = [{"user": {"intent": "bye"}}]
    assert ours._get_possible_keys(lookup[RULES], states) == rasas._get_possible_keys(lookup[RULES], states) == {
        starter}


def test_training_uses_rasas_searches(lookup):
    _, ours = policies(lookup)
    ours._forget()
    assert ours._text_rules and ours._index is None


def test_predictions_and_rule_searches_are_rasas(servers, agent, lookup):
    """Every prediction point of real conversations with the servers (guided flows, digressions, a cancel, a
    handoff): the same prediction, and the same rules found for every state."""
    from rasa.shared.core.trackers import DialogueStateTracker

    rasas, ours = policies(lookup)
    compared = 0
    for messages in CONVERSATIONS:
        chat = Chat(servers.rasa_url)
        for message in messages:
            chat.send(message)
        stored = servers.tracker(chat.conversation_id)
        tracker = DialogueStateTracker.from_dict(chat.sender, stored["events"], agent.domain.slots)
        events = list(tracker.events)
        for end in range(1, len(events) + 1):
            if not isinstance(events[end - 1], (ActionExecuted, UserUttered)):
                continue
            prefix = DialogueStateTracker.from_events(chat.sender, events[:end], agent.domain.slots)
            expected = rasas.predict_action_probabilities(prefix, agent.domain)
            got = ours.predict_action_probabilities(prefix, agent.domain)
            assert (got.probabilities, got.events, got.is_end_to_end_prediction, got.is_no_user_prediction,
                    got.action_metadata) == (expected.probabilities, expected.events,
                                             expected.is_end_to_end_prediction, expected.is_no_user_prediction,
                                             expected.action_metadata)
            states = rasas._prediction_states(prefix, agent.domain, False, rule_only_data=rasas._get_rule_only_data())
            assert ours._get_possible_keys(lookup[RULES], states) == rasas._get_possible_keys(lookup[RULES], states)
            compared += 1
    assert compared > 100
