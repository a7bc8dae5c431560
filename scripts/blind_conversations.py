"""Play the blind set's multi-turn conversations (tests/assistant/nlu_blind/conversations.yml) against the assistant
that `make run` started, and print how it fared per language (called by `make blind-conversations`).

Per customer turn: the intent the assistant understood (read from the conversation's tracker through Rasa's HTTP
API, token from build/rasa-token as `make run` made it), whether the reply names the facts the set expects
(`reply_mentions`), and whether the conversation was handed to a person. A conversation handed over ends there
(the bot is silent while a person owns it). A measurement for issue 12, not a test.

  make run                         # in one terminal
  make blind-conversations         # in another; BLIND_ARGS="--details" lists every miss
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot.conversation_ids import path_segment, rest_conversation  # noqa: E402  (the repository's own package)

CONVERSATIONS = ROOT / "tests" / "assistant" / "nlu_blind" / "conversations.yml"
ANSWER = "answer"  # the set's label of an answer to the assistant's question inside a guided flow


@dataclass
class Tally:
    """One language's counts."""

    counts: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, what: str, ok: bool, detail: str) -> None:
        self.counts[what, ok] += 1
        if not ok:
            self.misses.append(f"{what}: {detail}")

    def line(self, what: str) -> str:
        good, bad = self.counts[what, True], self.counts[what, False]
        return f"{what} {good}/{good + bad}" if good + bad else f"{what} -"


def call(url: str, body: dict[str, Any] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


FALLBACK = "nlu_fallback"
# the bot's offers of a colleague: a described payment problem is asked once (issue 12); two misses in a row
OFFERS = frozenset({"utter_payment_problem", "utter_offer_human"})


def turn_outcome(rasa: str, token: str, sender: str, seen: int) -> tuple[str, bool, bool, int]:
    """The intent of the latest customer message, whether this turn handed over, whether it offered a colleague,
    and the events seen so far."""
    query = urllib.parse.urlencode({"token": token})
    conversation = path_segment(rest_conversation(sender))  # the REST channel's conversation of the sender
    events = call(f"{rasa}/conversations/{conversation}/tracker?{query}")["events"]
    latest = [e for e in events if e.get("event") == "user"][-1]
    new = events[seen:]
    handed_over = any(e.get("event") == "action" and e.get("name") == "action_handoff" for e in new)
    offered = any(e.get("event") == "bot" and (e.get("metadata") or {}).get("utter_action") in OFFERS for e in new)
    intent = (latest.get("parse_data") or {}).get("intent", {}).get("name") or ""
    return intent, handed_over, offered, len(events)


def play(rasa: str, token: str, conversation: dict[str, Any], tallies: dict[str, Tally]) -> None:
    sender, seen, offered_before = f"blind-{conversation['id']}-{uuid.uuid4().hex[:8]}", 0, False
    tally = tallies[conversation["language"]]
    for turn in conversation["turns"]:
        replies = call(f"{rasa}/webhooks/rest/webhook", {"sender": sender, "message": turn["user"]})
        text = " ".join(r.get("text") or "" for r in replies or [])
        intent, handed_over, offered, seen = turn_outcome(rasa, token, sender, seen)
        where = f"{conversation['id']} {turn['user']!r}"
        if turn["intent"] != ANSWER:
            tally.add("intent", intent == turn["intent"], f"{where}: {turn['intent']} -> {intent}")
            if intent == FALLBACK:  # the clarifying fallback: is the meant topic among its buttons?
                payloads = [b.get("payload") for r in replies or [] for b in r.get("buttons") or []]
                tally.add("a miss offers the meant topic", f"/{turn['intent']}" in payloads,
                          f"{where}: {turn['intent']} not in {payloads}")
        for fact in turn.get("reply_mentions") or []:
            tally.add("reply names the fact", fact.lower() in text.lower(), f"{where}: {fact!r} not in {text!r}")
        if turn["handoff"]:  # handed over, or (a described problem) a colleague offered: the customer chooses
            tally.add("a colleague when asked", handed_over or offered, where)
        else:  # a handoff the customer took by saying yes to an offer is their choice, not a false one
            tally.add("no false escalation", not handed_over or offered_before, where)
        if handed_over:
            return
        offered_before = offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('RASA_PORT', '5005')}")
    parser.add_argument("--token-file", type=Path, default=ROOT / "build" / "rasa-token")
    parser.add_argument("--details", action="store_true", help="list every miss")
    args = parser.parse_args()
    token = os.environ.get("RASA_TOKEN") or args.token_file.read_text().strip()
    tallies: dict[str, Tally] = {}
    conversations = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))["conversations"]
    for conversation in conversations:
        tallies.setdefault(conversation["language"], Tally())
        play(args.url, token, conversation, tallies)
    for language, tally in sorted(tallies.items()):
        parts = ("intent", "a miss offers the meant topic", "reply names the fact", "no false escalation",
                 "a colleague when asked")
        print(f"{language} (conversations starting in it): " + ", ".join(tally.line(p) for p in parts))
        if args.details:
            print("\n".join(f"  {miss}" for miss in tally.misses))


if __name__ == "__main__":
    main()
