"""What every guided flow's validation action shares: reading an answer, digressions, "stop", "I don't know".

Each form slot is filled from the customer's text (the domain's slot mappings). The flow's validation action
reads the answer with a `read_<slot>` method, and then:
- a readable answer fills the slot (whatever intent the NLU saw in it: "Foto LT" is a dealer, not a question);
- "stop" / "atšaukti" rejects the form so that the `stop` rule ends it (data/rules/conversation.yml);
- another confident question is a digression, and the form asks its question again after the answer, so that
  its question is the one open question of the turn:
  - about the flow itself or an answer already given ("which documents do I need?" after the VAT answer): the
    flow answers from what was given (`answer_in_flow`), without a question of its own;
  - one the rules would answer with a question of their own (a topic menu, the VAT question, the offer of a
    guide) or with the start of another flow: the same information without the question (IN_FLOW_ANSWERS), and
    another flow waits until this one ends (FLOW_START_INTENTS);
  - any other (an FAQ topic, a language switch...): rejects the form, and the rules answer it;
  a question ("...?") or a button ("/intent") with another confident topic is not read as an answer even when
  its words could be ("How do I register?" is no choice of "register again"), unless the slot takes that
  intent as an answer (`answer_intents`);
- "I don't know" gets the reassurance that a best guess is fine and a second ask (flows that cannot go on
  without the answer end at the second "I don't know");
- anything else gets the slot's specific error message and the question again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Text, Tuple

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import customer_token, latest_intent
from bot.text import fold
from bot.vocabulary import DONT_KNOW_COUNT_SLOT, FALLBACK_INTENT, REQUESTED_SLOT

# Intents that are answers to a question, never a change of topic.
# "Out of scope" is how the NLU sees many odd answers ("2099-01-01", a dealer's name): a wrong answer gets the
# question's own error message, which steers back as well as the out-of-scope reply would.
ANSWER_INTENTS = {"affirm", "deny", "dont_know", "unsure_details", FALLBACK_INTENT, "out_of_scope"}
DONT_KNOW_INTENTS = {"dont_know", "unsure_details"}
STOP_INTENT = "stop"
CONFIDENT = 0.5  # the FallbackClassifier's threshold
CONFIDENT_FOR_FREE_TEXT = 0.8  # free-text answers (dealer names) are taken unless the question is clear
YES_OR_NO_ERROR = "utter_answer_yes_or_no"  # the error message of every yes / no question
# Outside a flow the rules answer these with a question of their own (a topic menu, the VAT question, the offer
# of a guide); inside a flow, where the flow's question is the one open question, with the same information
# without it (a flow's own `answer_in_flow` comes first).
IN_FLOW_ANSWERS: Dict[Text, Tuple[Text, ...]] = {
    "greet": ("utter_greet_in_flow",),
    "capabilities": ("utter_capabilities_in_flow",),
    "how_to_register": ("utter_registration_link",),
    "ask_documents": ("utter_documents_vat_registered", "utter_documents_not_vat_registered"),
    "migrate_button_missing": ("utter_migrate_button_missing",),
}
# What starts a guided flow for a signed-in customer (the rules run the flow's start action): inside another
# flow it waits until that one ends. Anonymous customers get the rules' general answer, which starts nothing.
FLOW_START_INTENTS = frozenset({"migrate_button_missing", "complete_product_details", "no_green_tick",
                                "buy_membership"})
ONE_FLOW_AT_A_TIME = "utter_flow_one_at_a_time"


@dataclass
class Answer:
    """What a `read_<slot>` method made of the customer's message."""

    slots: Dict[Text, Any] = field(default_factory=dict)  # the slot's value (and any other slots to set)
    error: Optional[Text] = None  # response to utter when the text is not a valid answer
    error_variables: Dict[Text, Any] = field(default_factory=dict)
    # the text is an answer, just not an acceptable one ("Enterprise" below 2500 points)
    understood: bool = False

    @classmethod
    def invalid(cls, error: Text, understood: bool = False, **variables: Any) -> "Answer":
        return cls(error=error, error_variables=variables, understood=understood)


@dataclass
class Reply:
    """A flow's answer to a message that is not an answer to its question: responses with their variables (no
    question: the form asks its own again), and any earlier answer the message changes."""

    messages: List[Tuple[Text, Dict[Text, Any]]] = field(default_factory=list)
    slots: Dict[Text, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, *responses: Text, **variables: Any) -> "Reply":
        """The responses, each with the same variables."""
        return cls([(response, dict(variables)) for response in responses])


def yes_no(tracker: Tracker, yes_intents: tuple[Text, ...] = ("affirm",),
           no_intents: tuple[Text, ...] = ("deny",)) -> Optional[bool]:
    """True / False for a yes / no answer (buttons send /affirm and /deny), None otherwise."""
    name, confidence = latest_intent(tracker)
    if confidence < CONFIDENT:
        return None
    if name in yes_intents:
        return True
    if name in no_intents:
        return False
    return None


def yes_no_answer(slot: Text, tracker: Tracker, yes_intents: tuple[Text, ...] = ("affirm",),
                  no_intents: tuple[Text, ...] = ("deny",)) -> Answer:
    """The `Answer` to the yes / no question of `slot`: True / False (`yes_no`), else "answer yes or no"."""
    value = yes_no(tracker, yes_intents, no_intents)
    return Answer.invalid(YES_OR_NO_ERROR) if value is None else Answer({slot: value})


def parsed_answer(slot: Text, text: Text, parse: Callable[[Text], Any], error: Text) -> Answer:
    """The `Answer` that fills `slot` with `parse(text)`, or `error` when `parse` raises ValueError."""
    try:
        return Answer({slot: parse(text)})
    except ValueError:
        return Answer.invalid(error)


def is_question_or_button(text: Text) -> bool:
    """A question ("...?") or a button's intent payload ("/how_to_register"): with another confident topic, not
    an answer whose words happen to match."""
    return text.rstrip().endswith("?") or text.lstrip().startswith("/")


def one_match(text: Text, words: Mapping[Text, tuple[Text, ...]]) -> Optional[Text]:
    """The single key whose words (folded stems) occur in the folded text, None for none or several."""
    folded = fold(text)
    found = [key for key, stems in words.items() if any(stem in folded for stem in stems)]
    return found[0] if len(found) == 1 else None


class FlowValidation(FormValidationAction, ABC):
    """Base of the flows' validation actions: subclasses define `read_<slot>(text, tracker) -> Answer`."""

    free_text_slots: frozenset = frozenset()  # slots where almost any text is a valid answer
    # slots the flow cannot go on without (it ends at the second "I don't know")
    must_know_slots: frozenset = frozenset()
    # slot -> what to say to "I don't know" (default: that a best guess is fine)
    dont_know_responses: Dict[Text, Text] = {}
    # slot -> the intents its reader takes as an answer besides yes / no / "I don't know" (a button's payload, a
    # statement that answers it): a question ("...?") with one of them is still an answer
    answer_intents: Dict[Text, FrozenSet[Text]] = {}

    @abstractmethod
    def name(self) -> Text:
        """validate_<form name>"""

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        slot = tracker.get_slot(REQUESTED_SLOT)
        candidates = tracker.slots_to_validate()
        if slot not in candidates:
            return [SlotSet(name, value) for name, value in candidates.items()]
        text = candidates[slot]
        return self.judge(slot, text if isinstance(text, str) else "", dispatcher, tracker)

    def judge(self, slot: Text, text: Text, dispatcher: CollectingDispatcher,
              tracker: Tracker) -> List[EventType]:
        """The events for the customer's answer `text` to the question for `slot`."""
        intent, confidence = latest_intent(tracker)
        if intent == STOP_INTENT and confidence >= CONFIDENT:
            return self.reject(slot)
        if slot in self.free_text_slots:  # a dealer's name is neither a question nor "I don't know"
            if intent in DONT_KNOW_INTENTS and confidence >= CONFIDENT:
                return self.dont_know(slot, dispatcher, tracker)
            if text.rstrip().endswith("?") or self.is_digression(intent, confidence, CONFIDENT_FOR_FREE_TEXT):
                return self.digression(slot, intent, dispatcher, tracker)
        elif is_question_or_button(text) and self.is_digression(intent, confidence, CONFIDENT) \
                and intent not in self.answer_intents.get(slot, ()):
            return self.digression(slot, intent, dispatcher, tracker)
        answer = getattr(self, f"read_{slot}")(text, tracker)
        if answer.error is None:
            filled = [SlotSet(name, value) for name, value in answer.slots.items()]
            return filled + [SlotSet(DONT_KNOW_COUNT_SLOT, 0)]
        if intent in DONT_KNOW_INTENTS:
            return self.dont_know(slot, dispatcher, tracker)
        if not answer.understood and self.is_digression(intent, confidence, CONFIDENT):
            return self.digression(slot, intent, dispatcher, tracker)
        dispatcher.utter_message(response=answer.error, **answer.error_variables)
        return [SlotSet(slot, None)]

    @staticmethod
    def is_digression(intent: Text, confidence: float, threshold: float) -> bool:
        """A confident intent that is not an answer: a question answered before the form goes on."""
        return bool(intent) and intent not in ANSWER_INTENTS and confidence >= threshold

    def digression(self, slot: Text, intent: Text, dispatcher: CollectingDispatcher,
                   tracker: Tracker) -> List[EventType]:
        """Answer a question inside the flow: the flow's own answer or the question-less one (the form then asks
        its question again, the turn's one open question); otherwise the rules answer it."""
        reply = self.answer_in_flow(slot, intent, tracker) or shared_answer(intent, tracker)
        if reply is None:
            return self.reject(slot)
        for response, variables in reply.messages:
            dispatcher.utter_message(response=response, **variables)
        return [SlotSet(name, value) for name, value in reply.slots.items()] + [SlotSet(slot, None)]

    def answer_in_flow(self, slot: Text, intent: Text, tracker: Tracker) -> Optional[Reply]:
        """The flow's answer to a question about itself or an answer already given, while it asks for `slot`
        (None: not the flow's own topic). Subclasses answer from the slots (`given`); never with a question."""
        return None

    @staticmethod
    def given(tracker: Tracker, slot: Text, name: Text) -> Any:
        """The answer already given for `name` while the form asks for `slot` (which holds the text being judged,
        no answer yet: None)."""
        return None if name == slot else tracker.get_slot(name)

    def reject(self, slot: Text) -> List[EventType]:
        """Let the rules handle the message; the form asks again afterwards."""
        return [SlotSet(slot, None), ActionExecutionRejected(self.form_name())]

    def dont_know(self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        count = int(tracker.get_slot(DONT_KNOW_COUNT_SLOT) or 0) + 1
        if count >= 2 and slot in self.must_know_slots:
            return self.give_up(slot, dispatcher, tracker)
        dispatcher.utter_message(response=self.dont_know_responses.get(slot, "utter_best_guess_is_fine"))
        return [SlotSet(slot, None), SlotSet(DONT_KNOW_COUNT_SLOT, count)]

    def give_up(self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The second "I don't know" for a slot the flow needs: end the form (subclasses say what happens)."""
        return [SlotSet(slot, None), SlotSet(DONT_KNOW_COUNT_SLOT, 0), SlotSet(REQUESTED_SLOT, None)]


def shared_answer(intent: Text, tracker: Tracker) -> Optional[Reply]:
    """Inside any flow: another flow's start waits (signed in); what the rules would ask about is answered
    without the question (IN_FLOW_ANSWERS); None for the rest (the rules answer it)."""
    if intent in FLOW_START_INTENTS and customer_token(tracker):
        return Reply.of(ONE_FLOW_AT_A_TIME)
    responses = IN_FLOW_ANSWERS.get(intent)
    return Reply.of(*responses) if responses else None
