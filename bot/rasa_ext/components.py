"""Rasa graph components for the bilingual NLU pipeline (see config.yml)."""

from __future__ import annotations

import gc
from typing import Any, Dict, List, Optional, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.sparse import csr_matrix, spmatrix, vstack
from sklearn.preprocessing import normalize

from bot.rasa_ext import (
    action_validation,
    degraded,
    endpoint_json,
    event_types,
    input_limits,
    language_detection,
    session_start,
    store_failures,
    turn_failure,
)
from bot.rasa_ext.spacy_model import LEMMA_TABLE
from bot.text import fold
from bot.vocabulary import CUSTOMER_TOKEN_KEY, LANGUAGE_SLOT, REQUESTED_SLOT, SIGNED_IN_SLOT

# Rasa loads this module with the pipeline: from then on action responses are checked by a validator built once,
# event classes are looked up by name without walking Event's subclasses each time, and calls to the action server
# encode the conversation with a faster JSON encoder; a session starts without a call to the action server; a
# failed action-server call gets the customer an answer (degraded mode); a message's text and metadata are checked
# and a too-long message is answered before NLU (input_limits); a turn that fails (the tracker store unreachable)
# answers that the service has trouble (turn_failure), also when the tracker store fails (store_failures: Rasa would
# otherwise fall back to an in-memory store or a fresh conversation)
action_validation.apply()
event_types.apply()
endpoint_json.apply()
session_start.apply()
degraded.apply()
input_limits.apply()
store_failures.apply()
turn_failure.apply()  # after input_limits: a too-long message's failure is answered too

# The entities these components add: `language` and `signed_in` fill the slots of the same name (the domain's
# slot mappings); action_switch_language reads `requested_language`.
LANGUAGE_ENTITY = LANGUAGE_SLOT
REQUESTED_LANGUAGE_ENTITY = "requested_language"
SIGNED_IN_ENTITY = SIGNED_IN_SLOT
METADATA = "metadata"
COMMAND_PREFIX = "/"


class StatelessComponent(GraphComponent):
    """A component without configuration or trained state: Rasa creates (and loads) it from nothing."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False, model_from="SpacyNLP"
)
class LithuanianLemmatizer(StatelessComponent):
    """Replace every token's lemma by its diacritic-folded Lithuanian lemma.

    Uses the folded lookup table inside the spaCy pipeline (bot/rasa_ext/spacy_model.py); words that are not in
    the table (English, typos) keep their folded form. The featurizers after it read these lemmas, so
    "uzsiregistruoti" and "užsiregistruoti" produce the same features. It runs on training data too.
    """

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy"]

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        self._lemmatize(training_data.training_examples, model)
        return training_data

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        self._lemmatize(messages, model)
        return messages

    @staticmethod
    def _lemmatize(messages: List[Message], model: SpacyModel) -> None:
        table = model.model.get_pipe("lemmatizer").lookups.get_table(LEMMA_TABLE)
        for message in messages:
            for token in message.get(TOKENS_NAMES[TEXT]) or []:
                folded = fold(token.text)
                token.lemma = table.get(folded, folded)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(StatelessComponent):
    """Decide the conversation's language for each message and hand it to the `language` slot.

    Rasa gives NLU components the conversation's tracker at prediction time, so the rule of
    `language_detection.next_language` (current language + this message) runs here, with no action-server
    round trip: a `language` entity is added only when the language changes, and the slot's `from_entity`
    mapping sets it. A message that names a language ("lietuviškai", "in English") also gets a
    `requested_language` entity for `action_switch_language`. The page language a client sends in the metadata
    (`{"language": ...}`) decides only the first undecided message of a conversation without a language.
    While a form asks for a name (serial number, dealer), the answer never changes the language.
    Prediction time only: training examples never carry these entities, so the classifier cannot learn them.
    """

    def __init__(self) -> None:
        language_detection.warm_up()

    @staticmethod
    def required_packages() -> List[Text]:
        return ["lingua"]

    def process(self, messages: List[Message], tracker: Optional[DialogueStateTracker] = None) -> List[Message]:
        current = tracker.get_slot(LANGUAGE_SLOT) if tracker else None
        asked = tracker.get_slot(REQUESTED_SLOT) if tracker and tracker.active_loop_name else None
        for message in messages:
            text = _text(message)
            if text.startswith(COMMAND_PREFIX):  # button payloads and commands are not natural language
                continue
            added = []
            hint = language_detection.hinted_language(message.get(METADATA))
            language = language_detection.next_language(current, language_detection.detect_language(text), hint,
                                                         asked)
            if language and language != current:
                added.append(_entity(LANGUAGE_ENTITY, language, text, LanguageDetector.__name__))
            requested = language_detection.requested_language(text)
            if requested:
                added.append(_entity(REQUESTED_LANGUAGE_ENTITY, requested, text, LanguageDetector.__name__))
            _add_entities(message, added)
        return messages


def _text(message: Message) -> Text:
    """The message's text; empty when there is none or it is not a string (a caller of Rasa's parse may put
    anything there; the channels' messages are strings, bot/rasa_ext/input_limits.py)."""
    text = message.get(TEXT)
    return text if isinstance(text, str) else ""


def _add_entities(message: Message, entities: List[Dict[Text, Any]]) -> None:
    message.set(ENTITIES, (message.get(ENTITIES) or []) + entities, add_to_output=True)


def _entity(name: Text, value: Text, text: Text, extractor: Text) -> Dict[Text, Any]:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: 0,
        ENTITY_ATTRIBUTE_END: len(text),
        EXTRACTOR: extractor,
    }


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SignedInFlag(StatelessComponent):
    """Add a `signed_in` entity when the message metadata carries a `customer_token`.

    It fills the `signed_in` slot, so that the rules of account questions call the core (through an action)
    only for customers who sent a token; the core still verifies it. Anonymous customers get the general
    answer straight from the rules, without an action-server round trip.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            metadata = message.get(METADATA)
            token = metadata.get(CUSTOMER_TOKEN_KEY) if isinstance(metadata, dict) else None
            if isinstance(token, str) and token:
                entity = _entity(SIGNED_IN_ENTITY, "true", _text(message), SignedInFlag.__name__)
                _add_entities(message, [entity])
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer (same options, vocabulary and sentence features), without the per-token
    (sequence) features of the message text: no component of ours reads them (the intent classifier reads the
    sentence features), and Rasa computes them with a second vectorizer pass per message and featurizer (4% of
    a Rasa worker's CPU, py-spy, issue 13). Other attributes keep both."""

    def _create_features(self, attribute: Text, all_tokens: List[List[Text]]) -> Tuple[
        List[Optional[spmatrix]], List[Optional[spmatrix]]
    ]:
        if attribute != TEXT or not self.vectorizers.get(attribute):
            return super()._create_features(attribute, all_tokens)
        sentences: List[Optional[spmatrix]] = []
        for tokens in all_tokens:
            if not tokens:
                sentences.append(None)
                continue
            sentence = self.vectorizers[attribute].transform([" ".join(tokens)])
            sentence.sort_indices()
            sentences.append(sentence.tocoo())
        return [None] * len(all_tokens), sentences


FEATURE_SCALING = "feature_scaling"
FEATURE_SCALINGS = frozenset({"binary", "l2", "none"})


def sentence_row(message: Message) -> Optional[csr_matrix]:
    """The message's row of Rasa's classifier input: its sentence-level sparse features of the text side by side,
    in the order the featurizers added them, as float64 (what Rasa's `_create_X` builds through
    `get_sparse_features`, without also combining the sequence features and without scipy's block stacking: a
    tenth of a Rasa worker's CPU before). None when the message has dense sentence features or no sparse ones;
    the caller then takes Rasa's way."""
    blocks = []
    for features in message.features:
        if features.attribute != TEXT or features.type != FEATURE_TYPE_SENTENCE:
            continue
        if not features.is_sparse():
            return None
        blocks.append(features.features.tocoo())
    if not blocks:
        return None
    columns, values, width = [], [], 0
    for block in blocks:
        columns.append(block.col + width)
        values.append(block.data)
        width += block.shape[1]
    column = np.concatenate(columns)
    row = np.zeros(len(column), dtype=np.int32)
    return csr_matrix((np.concatenate(values).astype(np.float64), (row, column)), shape=(1, width))


def scaled_features(features: csr_matrix, scaling: Text) -> csr_matrix:
    """Each message's bag of words and character n-grams scaled: "l2" to unit length (a message repeated 70 times
    reads like the message once, instead of pushing one intent to certainty), "binary" to presence, "none" as
    counted."""
    if scaling == "l2":
        return normalize(features, norm="l2")
    if scaling == "binary":
        return (features > 0).astype(np.float64)
    return features


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class GuardedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier, except that a message without a single known feature (empty,
    whitespace, emoji only, unknown symbols) gets no intent with confidence 0, so that the FallbackClassifier
    after it predicts `nlu_fallback`. Rasa's own classifier crashes on empty text and guesses on the rest.
    Each message's features are combined once (Rasa's version combines them per call, which is slow)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), FEATURE_SCALING: "binary"}

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        self.validate_config(config)
        super().__init__(config, *args, **kwargs)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """A misspelt feature_scaling stops training instead of silently meaning raw counts."""
        if config.get(FEATURE_SCALING) not in FEATURE_SCALINGS:
            raise ValueError(f"{FEATURE_SCALING} must be one of {sorted(FEATURE_SCALINGS)}, "
                             f"not {config.get(FEATURE_SCALING)!r}")

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        rows = [sentence_row(message) for message in messages]
        if not rows or any(row is None for row in rows):
            features = super()._create_X(messages)
        else:
            features = rows[0] if len(rows) == 1 else vstack(rows, format="csr")
        return scaled_features(features, self.config[FEATURE_SCALING])

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> "GuardedLogisticRegressionClassifier":
        component = super().load(*args, **kwargs)
        # sparse X @ coef_.T copies coef_ on every call unless coef_.T is C-contiguous
        component.clf.coef_ = np.asfortranarray(component.clf.coef_)
        # The loaded model is ~500k long-lived objects: keep full garbage collections under load from
        # walking them all.
        gc.freeze()
        return component

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            features = self._create_X([message])
            if features.shape[1] == 0 or features.nnz == 0:
                message.set(INTENT, {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
                continue
            probabilities = self.clf.predict_proba(features)[0]
            ranking = sorted(
                ({INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: float(p)}
                 for name, p in zip(self.clf.classes_, probabilities, strict=True)),
                key=lambda intent: -intent[PREDICTED_CONFIDENCE_KEY],
            )
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
