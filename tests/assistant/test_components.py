"""Our Rasa components inside the trained model (bot/rasa_ext/components.py)."""

from __future__ import annotations

import pytest


def language_entities(result):
    return {e["entity"]: e["value"] for e in result["entities"] if e.get("extractor") == "LanguageDetector"}


def test_lemmas_make_diacritics_irrelevant(parse):
    with_marks = parse("kaip užsiregistruoti verslo paskyrai")
    without = parse("kaip uzsiregistruoti verslo paskyrai")
    assert with_marks["intent"]["name"] == without["intent"]["name"] == "how_to_register"
    assert abs(with_marks["intent"]["confidence"] - without["intent"]["confidence"]) < 1e-6


@pytest.mark.parametrize("text, language", [("kokiu dokumentu reikia", "lt"), ("what documents do I need", "en")])
def test_language_entity_is_added(parse, text, language):
    assert language_entities(parse(text))["language"] == language


@pytest.mark.parametrize("text", ["/documents_vat_registered", "ok", "CPS", "500"])
def test_no_language_entity_for_payloads_and_neutral_text(parse, text):
    assert "language" not in language_entities(parse(text))


def test_requested_language_entity(parse):
    entities = language_entities(parse("Can you answer in Lithuanian?"))
    assert entities == {"language": "en", "requested_language": "lt"}


@pytest.mark.parametrize("text", ["", "   ", "😀🙏📷", "§§§ ¤¤¤"])
def test_messages_without_known_features_fall_back(parse, text):
    assert parse(text)["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", ["Hello, I have a question about the business account and CPS membership. ",
                                  "Sveiki, noriu paklausti apie verslo paskyrą ir CPS narystę. "])
def test_a_message_pasted_many_times_is_read_like_the_message_once(parse, text):
    once, pasted = parse(text), parse(text * 80)
    assert pasted["intent"]["name"] == once["intent"]["name"]
    assert abs(pasted["intent"]["confidence"] - once["intent"]["confidence"]) < 1e-6


def test_feature_scaling():
    from scipy.sparse import csr_matrix

    from bot.rasa_ext.components import scaled_features

    counts = csr_matrix([[0.0, 3.0, 1.0], [70.0, 0.0, 0.0]])
    assert scaled_features(counts, "binary").toarray().tolist() == [[0, 1, 1], [1, 0, 0]]
    assert scaled_features(counts, "none") is counts
    assert abs(scaled_features(counts, "l2")[0].power(2).sum() - 1) < 1e-9


def _message(text, blocks, dense=False):
    import numpy as np
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    message = Message(data={"text": text})
    for origin, counts in blocks:
        sequence = coo_matrix(np.array([counts, counts]))  # one row per token: must not reach the classifier
        message.add_features(Features(sequence, "sequence", "text", origin))
        message.add_features(Features(coo_matrix(np.array([counts])), "sentence", "text", origin))
        message.add_features(Features(coo_matrix(np.array([[9, 9]])), "sentence", "intent", origin))
    if dense:
        message.add_features(Features(np.array([[0.5, 0.25]]), "sentence", "text", "dense"))
    return message


@pytest.mark.parametrize("dense", [False, True])
def test_the_classifier_input_is_rasas(dense):
    """Our row builder gives Rasa's matrix (values, order, shape, dtype), with dense features Rasa's way."""
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from bot.rasa_ext.components import GuardedLogisticRegressionClassifier, sentence_row

    messages = [_message("a", [("words", [0, 2, 1]), ("chars", [3, 0, 0, 0, 1])], dense),
                _message("b", [("words", [1, 0, 0]), ("chars", [0, 0, 0, 0, 0])], dense)]
    rasas = LogisticRegressionClassifier._create_X(None, messages)
    classifier = GuardedLogisticRegressionClassifier.__new__(GuardedLogisticRegressionClassifier)
    classifier.config = {"feature_scaling": "none"}
    ours = classifier._create_X(messages)
    assert (sentence_row(messages[0]) is None) == dense
    assert ours.shape == rasas.shape == (2, 8 + (2 if dense else 0))
    assert ours.dtype == rasas.dtype
    assert ours.toarray().tolist() == rasas.toarray().tolist()
    assert ours[0].toarray().tolist()[0][:8] == [0, 2, 1, 3, 0, 0, 0, 1]


def test_an_unknown_feature_scaling_is_refused():
    from bot.rasa_ext.components import GuardedLogisticRegressionClassifier

    with pytest.raises(ValueError, match="feature_scaling"):
        GuardedLogisticRegressionClassifier.validate_config({"feature_scaling": "binnary"})
    GuardedLogisticRegressionClassifier.validate_config({"feature_scaling": "binary"})


class _Tracker:
    def __init__(self, language, asking=None):
        self.slots = {"language": language, "requested_slot": asking}
        self.active_loop_name = "product_details_form" if asking else None

    def get_slot(self, name):
        return self.slots.get(name)


@pytest.mark.parametrize("current, text, asking, expected", [
    (None, "thanks", None, "en"),  # the first decided message sets the language
    ("lt", "thanks", None, None),  # one English word does not change a Lithuanian conversation
    ("lt", "How long does the approval take?", None, "en"),  # a clear English message does
    ("en", "How long does the approval take?", None, None),  # no change, no entity
    ("en", "ok", None, None),
    ("en", "Foto Centras Vilniuje", "dealer", None),  # a dealer's name is no change of language
    ("en", "Foto Centras Vilniuje", None, "lt"),
    ("en", "Pirkau Lietuvoje, Kaune", "country_of_purchase", "lt"),  # a sentence, not a name
])
def test_detector_applies_the_conversation_rule(current, text, asking, expected):
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_ext.components import LanguageDetector

    message = Message(data={"text": text})
    LanguageDetector().process([message], _Tracker(current, asking))
    assert language_entities({"entities": message.get("entities")}).get("language") == expected


def test_sentence_count_vectors_are_rasas_without_the_per_token_features(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
    from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.rasa_ext.components import SentenceCountVectorsFeaturizer

    def examples():
        return [Message(data={"text": text, "intent": intent}) for text, intent in [
            ("kaip užsiregistruoti verslo paskyrai", "how_to_register"), ("labas rytas", "greet"),
            ("how do I register my products", "register_products"), ("hello there", "greet")]]

    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    featurized = []
    for cls in (CountVectorsFeaturizer, SentenceCountVectorsFeaturizer):
        config = {**cls.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5}
        featurizer = cls.create(config, storage, Resource(f"cvf-{cls.__name__}"), context)
        training = TrainingData(examples())
        tokenizer.process_training_data(training)
        featurizer.train(training)
        message = Message(data={"text": "kaip registruoti produktus, hello"})
        tokenizer.process([message])
        featurizer.process([message])
        featurized.append(message)
    rasas, ours = featurized
    rasa_sequence, rasa_sentence = rasas.get_sparse_features("text")
    our_sequence, our_sentence = ours.get_sparse_features("text")
    assert rasa_sequence is not None and our_sequence is None
    assert our_sentence.features.shape == rasa_sentence.features.shape
    assert our_sentence.features.toarray().tolist() == rasa_sentence.features.toarray().tolist()
    assert our_sentence.features.nnz > 0
