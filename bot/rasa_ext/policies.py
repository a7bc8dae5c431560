"""Rasa's RulePolicy with two look-ups skipped where they cannot change the prediction (config.yml).

A prediction right after a customer's message runs Rasa's rule search twice: first with the message's text in
place of its intent (end-to-end rules), then with the intent; each featurises the whole conversation and tests
every rule against it, and each search goes on through the conversation's older turns after every remaining
rule has been fully matched. Together 17% of a Rasa worker's CPU (py-spy, issue 13; docs/benchmarks.md).

- The text search can only find a rule whose last state asks nothing of the customer's intent and follows
  `action_listen` (or nothing). When the trained rules have none (ours: every rule after a message names an
  intent), the search is skipped: Rasa's would find nothing.
- The search over older turns stops once every remaining rule is shorter than the turns already tested (Rasa
  keeps such rules on every later turn anyway).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RULES
from rasa.core.policies.rule_policy import RulePolicy as RasaRulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION, USER
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME, INTENT


def matches_text_turn(rule_states: List[State]) -> bool:
    """Whether a rule could match a conversation whose last message is read as text: its last state asks no
    intent and follows `action_listen` or no action (a conversation's state after a message always follows
    `action_listen`)."""
    last = rule_states[-1] if rule_states else {}
    previous = last.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
    return INTENT not in last.get(USER, {}) and previous in (None, ACTION_LISTEN_NAME)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RulePolicy(RasaRulePolicy):
    """Rasa's RulePolicy: the same rules and predictions, with fewer look-ups (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._text_rules_checked: Optional[Tuple[int, int]] = None
        self._text_rules = True

    def _any_text_rule(self) -> bool:
        rules: Dict[Text, Text] = self.lookup.get(RULES, {})
        checked = (id(rules), len(rules))  # training replaces and fills the lookup: check again then
        if checked != self._text_rules_checked:
            self._text_rules = any(matches_text_turn(self._rule_key_to_state(key)) for key in rules)
            self._text_rules_checked = checked
        return self._text_rules

    def _find_action_from_rules(
        self, tracker: DialogueStateTracker, domain: Domain, use_text_for_last_user_input: bool
    ) -> Tuple[Optional[Text], Optional[Text], bool]:
        if use_text_for_last_user_input and not self._any_text_rule():
            return None, None, False
        return super()._find_action_from_rules(tracker, domain, use_text_for_last_user_input)

    def _get_possible_keys(self, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
        possible = set(lookup.keys())
        for turn, state in enumerate(reversed(states)):
            if not possible or all(turn >= len(self._rule_key_to_state(key)) for key in possible):
                break  # Rasa's `_is_rule_applicable` is True for every remaining key from here on
            possible = {key for key in possible if self._is_rule_applicable(key, turn, state)}
        return possible
