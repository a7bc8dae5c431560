"""Rasa's RulePolicy with two look-ups skipped where they cannot change the prediction (config.yml).

A prediction right after a customer's message runs Rasa's rule search twice: first with the message's text in
place of its intent (end-to-end rules), then with the intent; each featurises the whole conversation and tests
every rule against it, and each search goes on through the conversation's older turns after every remaining
rule has been fully matched. Together 17% of a Rasa worker's CPU (py-spy, issue 13; docs/benchmarks.md).

- The text search can only find a rule whose last state asks nothing of the customer's intent and follows
  `action_listen` (or nothing), or a loop's unhappy path. When the trained rules have none (ours: every rule
  after a message names an intent; no unhappy paths), the search is skipped: Rasa's would find nothing.

Both look at the trained rules once, when the model is loaded (`prepare`); while training, Rasa's searches run
unchanged.
- The search starts from the rules whose last state can match the conversation's: the same previous action
  and intent, or none asked (an index built once per rule set); Rasa tests all of them. A state without a
  previous action (a conversation's start) is searched Rasa's way.
- The search over older turns stops once every remaining rule is shorter than the turns already tested (Rasa
  keeps such rules on every later turn anyway).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH
from rasa.core.policies.rule_policy import RulePolicy as RasaRulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT


def matches_text_turn(rule_states: List[State]) -> bool:
    """Whether a rule could match a conversation whose last message is read as text: its last state asks no
    intent and follows `action_listen` or no action (a conversation's state after a message always follows
    `action_listen`)."""
    last = rule_states[-1] if rule_states else {}
    previous = last.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
    return INTENT not in last.get(USER, {}) and previous in (None, ACTION_LISTEN_NAME)


Signature = Tuple[Optional[Text], Optional[Text]]


def signature(state: State) -> Signature:
    """A state's previous action name and intent; None for what it leaves open (absent, empty, or
    `should_not_be_set`, which Rasa does not test against a value)."""

    def named(value: Any) -> Optional[Text]:
        return value if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET else None

    return named(state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)), named(state.get(USER, {}).get(INTENT))


def rule_index(rules: Dict[Text, Any], states_of: Any) -> Dict[Signature, List[Text]]:
    """Rule keys by the signature of their last state."""
    index: Dict[Signature, List[Text]] = defaultdict(list)
    for key in rules:
        rule_states = states_of(key)
        index[signature(rule_states[-1]) if rule_states else (None, None)].append(key)
    return dict(index)


def candidates(index: Dict[Signature, List[Text]], state: State) -> Set[Text]:
    """The rules whose last state can match `state`: each of its two named parts equal or left open (any other
    rule differs from `state` in a previous action or an intent the rule names, and Rasa rejects it)."""
    action, intent = signature(state)
    found: Set[Text] = set()
    for wanted in {(None, None), (action, None), (None, intent), (action, intent)}:
        found.update(index.get(wanted, ()))
    return found


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RulePolicy(RasaRulePolicy):
    """Rasa's RulePolicy: the same rules and predictions, with fewer look-ups (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._forget()

    def _forget(self) -> None:
        self._text_rules = True  # until the trained rules are known: Rasa's search
        self._index: Optional[Tuple[Dict[Text, Text], Dict[Signature, List[Text]]]] = None

    def prepare(self) -> None:
        """Look at the trained rules once: whether any could match a message read as text, and the index."""
        rules: Dict[Text, Text] = self.lookup.get(RULES, {})
        # Rasa's text search also looks up the loops' unhappy paths (end-to-end stories): any such rule keeps it
        self._text_rules = bool(self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH)) or any(
            matches_text_turn(self._rule_key_to_state(key)) for key in rules)
        self._index = (rules, rule_index(rules, self._rule_key_to_state))

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> "RulePolicy":
        policy = super().load(*args, **kwargs)
        policy.prepare()
        return policy

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self._forget()  # training (fine-tuning too) builds new rules: Rasa's searches throughout
        return super().train(training_trackers, domain, **kwargs)

    def _find_action_from_rules(
        self, tracker: DialogueStateTracker, domain: Domain, use_text_for_last_user_input: bool
    ) -> Tuple[Optional[Text], Optional[Text], bool]:
        if use_text_for_last_user_input and not self._text_rules:
            return None, None, False
        return super()._find_action_from_rules(tracker, domain, use_text_for_last_user_input)

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        if self._index is not None and lookup is self._index[0] and states and states[-1].get(PREVIOUS_ACTION):
            possible = candidates(self._index[1], states[-1])  # (at a conversation's start, Rasa tests no intent)
        else:
            possible = set(lookup.keys())
        for turn, state in enumerate(reversed(states)):
            if not possible or all(turn >= len(self._rule_key_to_state(key)) for key in possible):
                break  # Rasa's `_is_rule_applicable` is True for every remaining key from here on
            possible = {key for key in possible if self._is_rule_applicable(key, turn, state)}
        return possible
