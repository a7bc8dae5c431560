"""The clarifying fallback: what the assistant says when it did not understand a message.

The first miss asks "Did you mean ...?" with the model's likeliest topics as buttons (Rasa's two-stage fallback
idea; the topic of the customer's previous message comes first, since a short follow-up most likely means it), or
lists the main topics when there is no topical guess; a second miss in a row offers a colleague.
Every misunderstood message is logged in the core for review (the console's "Unrecognised messages").
Topic titles are the domain's `utter_topic_<intent>` responses (domain/topic_titles.yml): an intent without one is
never suggested (greetings, yes/no, asking for a person...).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import language_of
from actions.core_client import CoreClient
from actions.handoff import MULTI_INTENT_SEPARATOR, OFFER_RESPONSE
from bot.vocabulary import EN, FALLBACK_INTENT

TOPIC_PREFIX = "utter_topic_"
MAX_SUGGESTIONS = 3
MIN_SUGGESTED_CONFIDENCE = 0.1  # below this a guess is noise (gibberish spreads ~0.1-0.3 over small talk)
ACTION = "action_fallback"
# actions Rasa runs around every message, which answer nothing
BOOKKEEPING_ACTIONS = frozenset({"action_listen", "action_extract_slots"})
# the last button of every "Did you mean ...?": none of these, show what I can help with
ANOTHER_TOPIC_INTENT = "capabilities"
# a likely request for a person adds the button to ask for one (a first miss offers no person otherwise)
PERSON_INTENT = "request_human"
MIN_PERSON_CONFIDENCE = 0.3


def fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the customer's latest messages in a row the assistant did not understand: the latest one if
    the model was unsure of it, and before it each message answered by this fallback. A message the bot handled
    otherwise (a form's answer, a message to an agent while handed over) ends the row."""
    count, next_action = 0, None
    for event in reversed(tracker.events_after_latest_restart()):
        kind = event.get("event")
        if kind == "action" and event.get("name") not in BOOKKEEPING_ACTIONS:
            next_action = event.get("name")  # read backwards: ends as the first action after a message
        elif kind == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            missed = intent == FALLBACK_INTENT if count == 0 and next_action is None else next_action == ACTION
            if not missed:
                break
            count, next_action = count + 1, None
    return count


def suggested_intents(ranking: List[Dict[Text, Any]], topics: set[Text]) -> List[Text]:
    """The likeliest topical intents of a message's ranking, best first, at most MAX_SUGGESTIONS."""
    chosen = [item["name"] for item in ranking
              if item.get("name") in topics and float(item.get("confidence") or 0.0) >= MIN_SUGGESTED_CONFIDENCE]
    return chosen[:MAX_SUGGESTIONS]


def previous_topic(tracker: Tracker, topics: set[Text]) -> Optional[Text]:
    """The topic of the customer's message before the latest one, if it was one (a short follow-up such as "where
    do I do that?" most likely means the topic just answered)."""
    users = [e for e in tracker.events_after_latest_restart() if e.get("event") == "user"]
    if len(users) < 2:
        return None
    intent = ((users[-2].get("parse_data") or {}).get("intent") or {}).get("name")
    return intent if intent in topics else None


def with_previous_topic(suggested: List[Text], previous: Optional[Text]) -> List[Text]:
    """The model's suggestions with the previous topic first, still at most MAX_SUGGESTIONS."""
    if previous is None or previous in suggested:
        return suggested
    return ([previous] + suggested)[:MAX_SUGGESTIONS]


def topic_intents(domain: Dict[Text, Any]) -> set[Text]:
    """Intents with a topic title in the domain."""
    names = (domain.get("responses") or {})
    return {name[len(TOPIC_PREFIX):] for name in names
            if name.startswith(TOPIC_PREFIX)} - {ANOTHER_TOPIC_INTENT, PERSON_INTENT}


def asks_for_a_person(ranking: List[Dict[Text, Any]]) -> bool:
    """The model's guesses make a request for a person likely (alone or with a payment problem)."""
    return any(PERSON_INTENT in str(item.get("name")).split(MULTI_INTENT_SEPARATOR)
               and float(item.get("confidence") or 0.0) >= MIN_PERSON_CONFIDENCE for item in ranking)


def topic_title(domain: Dict[Text, Any], intent: Text, language: Text) -> Optional[Text]:
    """The intent's topic title in `language`: the variant conditioned on that language, else the default one."""
    variants = (domain.get("responses") or {}).get(TOPIC_PREFIX + intent) or []
    default = next((v.get("text") for v in variants if not v.get("condition")), None)
    if language == EN:
        return next((v.get("text") for v in variants if _is_for_english(v)), default)
    return default


def _is_for_english(variant: Dict[Text, Any]) -> bool:
    return any(c.get("name") == "language" and c.get("value") == EN for c in variant.get("condition") or [])


def suggestion_buttons(domain: Dict[Text, Any], intents: List[Text], language: Text) -> List[Dict[Text, Text]]:
    """One button per suggested intent (its payload triggers the intent directly)."""
    return [{"title": topic_title(domain, intent, language) or intent, "payload": f"/{intent}"} for intent in intents]


def latest_ranking(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The intent ranking of the customer's latest message."""
    return list(tracker.latest_message.get("intent_ranking") or [])


async def record(tracker: Tracker, in_a_row: int) -> None:
    """Log the misunderstood message for the support team's review (never fails the turn)."""
    await CoreClient.from_env().record_fallback(
        tracker.sender_id, tracker.get_latest_input_channel() or "unknown", language_of(tracker),
        tracker.latest_message.get("text") or "", latest_ranking(tracker), in_a_row)


class ActionFallback(Action):
    """First miss: "Did you mean ...?" (or the main topics); from the second miss in a row, the offer of a
    colleague."""

    def name(self) -> Text:
        return ACTION

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        in_a_row = fallbacks_in_a_row(tracker)
        await record(tracker, in_a_row)
        if in_a_row >= 2:
            dispatcher.utter_message(response=OFFER_RESPONSE)
            return []
        ranking, topics = latest_ranking(tracker), topic_intents(domain)
        offered = with_previous_topic(suggested_intents(ranking, topics), previous_topic(tracker, topics))
        offered += [PERSON_INTENT] if asks_for_a_person(ranking) else []
        if not offered:
            dispatcher.utter_message(response="utter_default")
            return []
        buttons = suggestion_buttons(domain, offered + [ANOTHER_TOPIC_INTENT], language_of(tracker))
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
