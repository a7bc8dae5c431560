"""Shared test helpers: the domain's responses, the held-out set, and a REST chat client."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import requests
import yaml

from bot.conversation_ids import rest_conversation
from tests.domain_files import load_domain

ROOT = Path(__file__).resolve().parents[2]
# Lines the test run prints in its summary (the NLU scores), filled by the tests.
SUMMARY: List[str] = []
HELDOUT_DIR = ROOT / "tests" / "assistant" / "nlu_heldout"
# written from the seed alone by someone who never saw data/ (nlu_blind/README.md)
BLIND_DIR = ROOT / "tests" / "assistant" / "nlu_blind"
TRAINING_DIR = ROOT / "data" / "nlu"


def variation_language(variation: Dict[str, Any]) -> str:
    """'en' for a variation conditioned on language=en, 'lt' for the unconditioned default."""
    for condition in variation.get("condition") or []:
        if condition.get("name") == "language":
            return condition["value"]
    return "lt"


@lru_cache(maxsize=1)
def domain() -> Dict[str, Any]:
    return load_domain()


@lru_cache(maxsize=1)
def response_index() -> Dict[str, Tuple[str, str]]:
    """Bot text -> (response name, language)."""
    index = {}
    for name, variations in domain()["responses"].items():
        for variation in variations:
            index[variation["text"]] = (name, variation_language(variation))
    return index


@lru_cache(maxsize=1)
def template_patterns() -> List[Tuple[re.Pattern, str, str]]:
    """(pattern, response name, language) for responses with {variables}."""
    patterns = []
    for text, (name, language) in response_index().items():
        if "{" in text:
            regex = re.sub(r"\\\{\w+\\\}", "(.+?)", re.escape(text))
            patterns.append((re.compile(regex, re.DOTALL), name, language))
    return patterns


def identify(text: str) -> Tuple[Optional[str], Optional[str]]:
    """(response name, language) of a bot text, templates with filled variables included."""
    if text in response_index():
        return response_index()[text]
    return next(((name, lang) for regex, name, lang in template_patterns() if regex.fullmatch(text)), (None, None))


def response_text(name: str, language: str) -> str:
    return next(v["text"] for v in domain()["responses"][name] if variation_language(v) == language)


def _examples(block: str) -> List[str]:
    return [line[2:].strip() for line in block.strip().splitlines() if line.startswith("- ")]


def heldout_examples(folder: Path = HELDOUT_DIR) -> List[Tuple[str, str, str]]:
    """(text, intent, language) for every example of a held-out set (default: nlu_heldout; BLIND_DIR: the blind
    set)."""
    rows = []
    for path in sorted(folder.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in content.get("nlu") or []:
            language = item["metadata"]["language"]
            rows += [(text, item["intent"], language) for text in _examples(item["examples"])]
    return rows


def coverage_gaps(examples: List[Tuple[str, str, str]], min_lt: int, min_en: int, min_plain_lt: int) -> List[str]:
    """The domain's intents an evaluation set covers too thinly: fewer Lithuanian, English or Lithuanian examples
    without diacritics than asked."""
    from bot.text import LITHUANIAN_LETTERS

    counts = Counter((intent, language) for _, intent, language in examples)
    plain_lt = Counter(intent for text, intent, language in examples
                       if language == "lt" and not set(text.lower()) & LITHUANIAN_LETTERS)
    return [f"{intent}: {counts[intent, 'lt']} lt ({plain_lt[intent]} without diacritics), {counts[intent, 'en']} en"
            for intent in domain()["intents"]
            if counts[intent, "lt"] < min_lt or counts[intent, "en"] < min_en or plain_lt[intent] < min_plain_lt]


def in_training_data(examples: List[Tuple[str, str, str]]) -> List[str]:
    """The examples' texts that the training data holds too, up to diacritics, case or a typo."""
    from bot.text import fold

    trained = [fold(normalise(text)) for text, _ in training_examples()]
    return [text for text, _, _ in examples if any(near_duplicate(fold(normalise(text)), seen) for seen in trained)]


def predicted(parse: Any, examples: List[Tuple[str, str, str]]) -> List[Tuple[str, str, str, str]]:
    """(text, intent, language, the intent the model predicts) for each (text, intent, language) example.

    A multi-intent guess ("payment_problem+request_human") counts as right for an example labelled with one of its
    parts: the message says both, and the example's author chose one label."""
    rows = []
    for text, intent, language in examples:
        guess = parse(text)["intent"]["name"]
        rows.append((text, intent, language, intent if intent in guess.split("+") else guess))
    return rows


def intent_macro_f1(predictions: List[Tuple[str, str, str, str]], language: str, set_name: str) -> float:
    """The intent macro-F1 of one language's (text, intent, language, predicted) rows; the score and the misses
    go to the run's summary."""
    from sklearn.metrics import f1_score

    rows = [row for row in predictions if row[2] == language]
    gold, predicted = [row[1] for row in rows], [row[3] for row in rows]
    score = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
    errors: Dict[str, List[str]] = defaultdict(list)
    for text, intent, _, guess in rows:
        if guess != intent:
            errors[intent].append(f"{text!r} -> {guess}")
    SUMMARY.append(f"{set_name} intent macro-F1 ({language}, {len(rows)} examples): {score:.3f}")
    SUMMARY.extend(f"  {intent}: {'; '.join(wrong)}" for intent, wrong in sorted(errors.items()))
    return float(score)


def training_examples() -> List[Tuple[str, str]]:
    """(text, intent) for every training example."""
    rows = []
    for path in sorted(TRAINING_DIR.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            rows += [(text, item["intent"]) for text in _examples(item["examples"])]
    return rows


def normalise(text: str) -> str:
    """Lower case, no punctuation, single spaces: for comparing examples."""
    return " ".join(re.findall(r"\w+", text.lower()))


def near_duplicate(a: str, b: str, threshold: float = 0.95) -> bool:
    """True when two normalised texts are the same up to a typo (cheap upper bounds first)."""
    matcher = SequenceMatcher(None, a, b)
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)


@dataclass
class Reply:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)

    @property
    def response(self) -> Optional[str]:
        return identify(self.text)[0]

    @property
    def language(self) -> Optional[str]:
        return identify(self.text)[1]


class Chat:
    """One customer's conversation over the REST webhook."""

    def __init__(self, rasa_url: str, sender: Optional[str] = None, token: Optional[str] = None) -> None:
        self.url = f"{rasa_url}/webhooks/rest/webhook"
        self.sender = sender or f"test-{uuid.uuid4().hex[:12]}"
        self.metadata = {"customer_token": token} if token else {}

    @property
    def conversation_id(self) -> str:
        """The conversation Rasa keeps for this sender (bot/rasa_ext/channels/rest.py)."""
        return rest_conversation(self.sender)

    def send(self, message: str) -> List[Reply]:
        body = {"sender": self.sender, "message": message, "metadata": self.metadata}
        answer = requests.post(self.url, json=body, timeout=60)
        answer.raise_for_status()
        return [Reply(m.get("text", ""), m.get("buttons") or []) for m in answer.json()]

    def ask(self, message: str) -> Reply:
        """Send and expect exactly one reply."""
        replies = self.send(message)
        assert len(replies) == 1, f"{message!r} got {[r.text for r in replies]}"
        return replies[0]


class ConsoleAgent:
    """A support agent on the core's console (/agent), through the JSON routes its page script uses."""

    def __init__(self, core_url: str, username: str, password: str) -> None:
        self.base = f"{core_url}/agent"
        self.http = requests.Session()
        form = self.http.get(f"{self.base}/sign-in", timeout=30)
        form_token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        signed = self.http.post(f"{self.base}/sign-in", timeout=30, allow_redirects=False,
                                data={"csrf_token": form_token, "username": username, "password": password})
        assert signed.status_code == 303, signed.text
        page = self.http.get(self.base, timeout=30)
        self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)

    def queue(self) -> Dict[str, List[Dict[str, Any]]]:
        return self._json("GET", "/api/queue")

    def escalation(self, escalation_id: int) -> Dict[str, Any]:
        return self._json("GET", f"/api/escalations/{escalation_id}")

    def claim(self, escalation_id: int) -> Dict[str, Any]:
        return self._json("POST", f"/escalations/{escalation_id}/claim", {})

    def reply(self, escalation_id: int, text: str) -> Dict[str, Any]:
        return self._json("POST", f"/escalations/{escalation_id}/messages", {"text": text})

    def close(self, escalation_id: int, note: str) -> Dict[str, Any]:
        return self._json("POST", f"/escalations/{escalation_id}/close", {"resolution_note": note})

    def _json(self, method: str, path: str, body: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        headers = {"X-CSRF-Token": self.csrf} if method == "POST" else {}
        answer = self.http.request(method, f"{self.base}{path}", json=body, headers=headers, timeout=30)
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()


@contextlib.contextmanager
def records_of(name: str, level: int) -> Iterator[List[logging.LogRecord]]:
    """The records of logger `name` at `level` and above, from a handler on that logger itself (pytest's caplog
    sits on the root logger and missed records now and then in full runs, after other tests' logging set-up)."""
    records: List[logging.LogRecord] = []
    handler = logging.Handler(level)
    handler.emit = records.append  # type: ignore[method-assign]
    target = logging.getLogger(name)
    old_level, old_disabled = target.level, target.disabled
    target.addHandler(handler)
    target.setLevel(level)
    target.disabled = False
    try:
        yield records
    finally:
        target.removeHandler(handler)
        target.setLevel(old_level)
        target.disabled = old_disabled


def missing_service(message: str) -> None:
    """Skip a test whose local service is missing, except in CI (CI=true), where its absence is a failure (as
    tests/core/conftest.py does for the core's tests, in the other environment)."""
    import os

    import pytest

    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_redis() -> None:
    """Redis on 127.0.0.1:6379, else `missing_service`."""
    import redis

    try:
        if redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping():
            return
    except redis.RedisError:
        pass
    missing_service("no Redis on 127.0.0.1:6379")


def require_rabbitmq() -> None:
    """RabbitMQ on 127.0.0.1:5672 (guest/guest), else `missing_service`."""
    import asyncio

    import aio_pika

    async def connect() -> None:
        connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/", timeout=5)
        await connection.close()

    try:
        asyncio.run(connect())
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        missing_service(f"no RabbitMQ on 127.0.0.1:5672 ({type(error).__name__})")


def require_postgresql() -> None:
    """PostgreSQL on 127.0.0.1:5432 (user postgres, trust authentication), else `missing_service`."""
    import psycopg2

    try:
        psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=5).close()
    except psycopg2.Error as error:
        missing_service(f"no PostgreSQL on 127.0.0.1:5432 ({type(error).__name__})")


async def drain_queue(channel: Any, name: str, count: int) -> List[Any]:
    """Up to `count` messages of RabbitMQ's queue `name` (about 5 s at most), then the queue and the exchange of
    that name deleted (a broker test's own)."""
    import asyncio

    queue = await channel.declare_queue(name, durable=True)
    received: List[Any] = []
    for _ in range(100):
        message = await queue.get(no_ack=True, fail=False)
        if message is not None:
            received.append(message)
        if len(received) >= count:
            break
        await asyncio.sleep(0.05)
    await queue.delete(if_unused=False, if_empty=False)
    await channel.exchange_delete(name)
    return received
