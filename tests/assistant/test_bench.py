"""The benches' pure parts (scripts/bench*.py, scripts/stock_bot.py): the mixes and their weights, naming answers,
the tokens, the figures and ratios, the stock bot's endpoints. No timing is asserted."""

from __future__ import annotations

import importlib.util
import math
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import jwt
import pytest
import yaml

from bot.core.demo import DEMOS
from tests.assistant.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402
import bench_idle  # noqa: E402
import bench_mix  # noqa: E402
import bench_tokens  # noqa: E402
import server_cpu  # noqa: E402
import stock_bot  # noqa: E402
from bench_answers import UNKNOWN, ResponseIndex, load_responses  # noqa: E402
from bench_mix import Customer, MixError, Turn, load_mix, parse_mix  # noqa: E402
from bench_report import Level, ratio, ratios  # noqa: E402

# the project rasa init copies into build/stock-bot
STOCK_TEMPLATE_DOMAIN = Path(importlib.util.find_spec("rasa").origin).parent / "cli" / "initial_project" / "domain.yml"


SECRET = "bench-tests-customer-token-secret-0123456789"


def mix_text(**conversation: object) -> dict:
    base = {"name": "c", "weight": 1, "customer": "anonymous", "turns": [{"say": "hi", "expect": "utter_greet"}]}
    return {"domain": "domain", "conversations": [{**base, **conversation}]}


# ---------------------------------------------------------------- the mixes as written


def test_our_mix_weights_add_up_to_100_as_its_header_says():
    mix = load_mix(bench_mix.ROOT / "scripts" / "bench_mix.yml")
    assert mix.total_weight == 100
    kinds = Counter()
    for conversation in mix.conversations:
        kinds[conversation.name.split("-")[0]] += conversation.weight
    assert kinds == {"faq": 40, "account": 20, "flow": 20, "digression": 8, "cancel": 8, "handoff": 4}


def test_our_mix_names_responses_of_the_domain_and_demo_customers_that_exist():
    mix = load_mix(bench_mix.ROOT / "scripts" / "bench_mix.yml")
    responses = load_responses(mix.domain)
    expected = {name for c in mix.conversations for t in c.turns for names in t.expect for name in names}
    assert expected - responses.keys() == set()
    demos = {demo.id for demo in DEMOS}
    assert {c.customer.demo for c in mix.conversations if c.customer.demo} <= demos
    assert {c.customer.demo for c in mix.conversations if c.customer.fresh} == {
        "demo-migrate", "demo-details", "demo-2000", "demo-missing", "demo-silver"}
    assert {t.language for c in mix.conversations for t in c.turns} == {"lt", "en"}


def test_our_mix_covers_the_whole_conversation_mix():
    mix = load_mix(bench_mix.ROOT / "scripts" / "bench_mix.yml")
    names = {name for c in mix.conversations for t in c.turns for names in t.expect for name in names}
    finished = {"utter_registration_next_steps", "utter_migration_done", "utter_product_details_finished",
                "utter_order_placed", "utter_flow_stopped", "utter_handoff_queued", "utter_my_points_invited"}
    assert finished <= names
    # a handoff ends its conversation: the bot is silent afterwards
    for conversation in mix.conversations:
        for turn in conversation.turns[:-1]:
            assert not any("utter_handoff_queued" in names for names in turn.expect), conversation.name


def test_stock_mix_names_responses_of_the_rasa_init_domain():
    mix = load_mix(bench_mix.ROOT / "scripts" / "stock_bot_mix.yml")
    assert mix.domain == stock_bot.FOLDER / "domain.yml" and mix.default_language is None
    expected = {name for c in mix.conversations for t in c.turns for names in t.expect for name in names}
    assert expected - load_responses(STOCK_TEMPLATE_DOMAIN).keys() == set()
    assert all(c.customer == Customer() for c in mix.conversations)


# ---------------------------------------------------------------- reading a mix


@pytest.mark.parametrize("text, customer", [
    ("anonymous", Customer()),
    ("demo-gold", Customer("demo-gold")),
    ("fresh demo-details", Customer("demo-details", fresh=True)),
])
def test_customers(text, customer):
    assert Customer.parse(text) == customer
    assert str(customer) == text


@pytest.mark.parametrize("content, error", [
    (mix_text(weight=0), "weight must be a positive integer"),
    (mix_text(weight=1.5), "weight must be a positive integer"),
    (mix_text(weight=True), "weight must be a positive integer"),
    (mix_text(customer="fresh"), "customer 'fresh'"),
    (mix_text(customer="stale demo-gold"), "customer 'stale demo-gold'"),
    (mix_text(turns=[]), "needs turns"),
    (mix_text(turns=[{"say": "hi"}]), "c turn 1: a turn needs 'expect'"),
    (mix_text(turns=[{"say": " ", "expect": "utter_greet"}]), "c turn 1: a turn needs a non-empty 'say'"),
    ({"domain": "domain", "conversations": [mix_text()["conversations"][0]] * 2}, "names repeat: ['c']"),
    ({"conversations": mix_text()["conversations"]}, "needs 'domain'"),
    ({"domain": "domain", "conversations": []}, "at least one conversation"),
])
def test_a_mix_that_cannot_be_played_is_refused(content, error):
    with pytest.raises(MixError, match=re.escape(error)):
        parse_mix(content)


def test_a_turn_reads_alternatives_and_languages():
    mix = parse_mix({"domain": "domain", "default_language": "lt", "conversations": [{
        "name": "c", "weight": 3, "customer": "fresh demo-2000", "language": "lt",
        "turns": [{"say": "x", "expect": "utter_a utter_b|utter_c"},
                  {"say": "y", "expect": "utter_d", "language": "en"}]}]})
    first, second = mix.conversations[0].turns
    assert first == Turn("x", (frozenset({"utter_a"}), frozenset({"utter_b", "utter_c"})), "lt")
    assert second.language == "en"
    assert mix.domain == bench_mix.ROOT / "domain" and mix.default_language == "lt"


def test_mismatches():
    turn = Turn("x", (frozenset({"utter_a"}), frozenset({"utter_b", "utter_c"})), "en")
    assert turn.mismatch([("utter_a", "en"), ("utter_c", "en")], "lt") is None
    assert turn.mismatch([("utter_a", "en")], "lt") == "expected utter_a utter_b|utter_c, got utter_a"
    assert turn.mismatch([], "lt") == "expected utter_a utter_b|utter_c, got nothing"
    assert turn.mismatch([("utter_a", "en"), ("?", None)], "lt") == "expected utter_a utter_b|utter_c, got utter_a ?"
    # an unconditioned variation is the default language's
    assert turn.mismatch([("utter_a", "en"), ("utter_b", None)], "lt") == \
        "expected every message in en, got en lt"
    assert turn.mismatch([("utter_a", None), ("utter_b", None)], None) is None  # no languages to check


# ---------------------------------------------------------------- weights and fresh customers


def small_mix() -> bench_mix.Mix:
    turn = {"say": "x", "expect": "utter_a"}
    return parse_mix({"domain": "domain", "conversations": [
        {"name": "faq", "weight": 6, "customer": "anonymous", "turns": [turn] * 4},
        {"name": "flow", "weight": 3, "customer": "fresh demo-details", "turns": [turn] * 8},
        {"name": "flow2", "weight": 1, "customer": "fresh demo-details", "turns": [turn] * 8},
    ]})


def test_picks_follow_the_weights():
    mix, rng = small_mix(), random.Random(13)
    picks = Counter(mix.pick(rng).name for _ in range(20000))
    assert picks["faq"] / 20000 == pytest.approx(0.6, abs=0.02)
    assert picks["flow"] / 20000 == pytest.approx(0.3, abs=0.02)
    assert picks["flow2"] / 20000 == pytest.approx(0.1, abs=0.02)


def test_without_fresh_customers_left_only_the_others_are_picked():
    mix, rng = small_mix(), random.Random(13)
    assert {mix.pick(rng, fresh_left=set()).name for _ in range(200)} == {"faq"}
    assert {mix.pick(rng, fresh_left={"demo-details"}).name for _ in range(500)} == {"faq", "flow", "flow2"}
    only_fresh = parse_mix({"domain": "domain", "conversations": [
        {"name": "flow", "weight": 1, "customer": "fresh demo-details", "turns": [{"say": "x", "expect": "u"}]}]})
    with pytest.raises(MixError, match="no conversation"):
        only_fresh.pick(rng, fresh_left=set())


def test_fresh_customers_a_level_may_need():
    mix = small_mix()
    assert mix.mean_turns() == pytest.approx((6 * 4 + 3 * 8 + 1 * 8) / 10)  # 5.6
    # 20 s at 280 turns/s: 1000 conversations, 30 % and 10 % of them fresh demo-details, plus one per customer
    assert mix.fresh_needed(20, 280, 10) == {"demo-details": 300 + 100 + 10}
    assert mix.fresh_conversations() == {"demo-details": 2}
    assert parse_mix(mix_text()).fresh_needed(20, 280, 10) == {}


def test_fresh_customers_are_made_ahead_and_used_once(monkeypatch):
    calls = []

    def core_command(*args: str) -> str:
        calls.append(args)
        prefix, words = args[1], args[2:]
        return "".join(f"{w.split('=')[0]}\t{prefix}-{w.split('=')[0]}-{n}\n" for w in words
                       for n in range(int(w.split("=")[1])))

    monkeypatch.setattr(bench, "core_command", core_command)
    fresh = bench.FreshCustomers("bench-run")
    fresh.top_up({"demo-details": 2, "demo-2000": 1})
    fresh.top_up({"demo-details": 3, "demo-2000": 1})  # only what is missing
    assert calls == [("clone", "bench-run-c1", "demo-details=2", "demo-2000=1"),
                     ("clone", "bench-run-c2", "demo-details=1")]
    target = bench.Target("ours", "http://x", small_mix(), dict, "bench-run", bench_tokens.Tokens(SECRET), fresh)
    flow = next(c for c in target.mix.conversations if c.name == "flow")
    figures = Level(1)
    starts = [target.start(flow, figures) for _ in range(4)]
    assert starts[3] is None and figures.conversations == 3 and fresh.used == 3 and fresh.left() == {"demo-2000"}
    senders = [sender for sender, _ in starts[:3]]
    assert senders == ["bench-run-0", "bench-run-1", "bench-run-2"]
    customers = {jwt.decode(m["customer_token"], SECRET, algorithms=["HS256"])["sub"] for _, m in starts[:3]}
    assert customers == {"bench-run-c1-demo-details-0", "bench-run-c1-demo-details-1", "bench-run-c2-demo-details-0"}
    # no fresh customer left: another conversation, counted
    picked = [target.pick(random.Random(n), figures)[0].name for n in range(20)]
    assert set(picked) == {"faq"} and figures.fresh_short > 0
    assert target.start(target.mix.conversations[0], None)[1] == {}  # anonymous: no token


# ---------------------------------------------------------------- naming the answers


def test_answers_are_named_by_the_domain_responses_with_their_language():
    index = ResponseIndex.of(load_responses(ROOT / "domain"))
    responses = load_responses(ROOT / "domain")
    greet_lt, greet_en = (v["text"] for v in responses["utter_greet"])
    assert index.name(greet_lt) == ("utter_greet", None)
    assert index.name(greet_en) == ("utter_greet", "en")
    template = next(v["text"] for v in responses["utter_handoff_out_of_hours"] if v.get("condition"))
    assert "{opening}" in template
    filled = template.replace("{opening}", "Monday, December 7, 08:00")
    assert index.name(filled) == ("utter_handoff_out_of_hours", "en")
    assert index.name("something the domain never says") == (UNKNOWN, None)
    assert index.names([greet_en, "?!"]) == ["utter_greet", UNKNOWN]


def test_a_single_domain_file_is_read_too(tmp_path):
    domain = tmp_path / "domain.yml"
    domain.write_text(yaml.safe_dump({"responses": {"utter_hi": [{"text": "Hi {name}!"}],
                                                    "utter_pic": [{"image": "https://example.org/a.jpg"}]}}))
    index = ResponseIndex.of(load_responses(domain))
    assert index.name("Hi Ona!") == ("utter_hi", None) and index.name("Hi") == (UNKNOWN, None)


# ---------------------------------------------------------------- tokens


def test_tokens_are_hs256_with_subject_issue_and_expiry():
    token = bench_tokens.customer_token("demo-gold", SECRET, now=1_000_000)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"sub": "demo-gold", "iat": 1_000_000, "exp": 1_000_000 + 24 * 3600}
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET + "-other", algorithms=["HS256"], options={"verify_exp": False})
    fresh = bench_tokens.Tokens(SECRET)
    assert fresh.of("demo-gold") is fresh.of("demo-gold")
    assert jwt.decode(fresh.of("demo-gold"), SECRET, algorithms=["HS256"])["exp"] > time.time()


def test_the_secret_comes_from_the_environment_else_from_the_file_run_sh_wrote(tmp_path):
    secret_file = tmp_path / "customer-token-secret"
    with pytest.raises(bench_tokens.NoSecret, match="CUSTOMER_TOKEN_SECRET"):
        bench_tokens.token_secret({}, secret_file)
    secret_file.write_text("from-file\n")
    assert bench_tokens.token_secret({}, secret_file) == "from-file"
    assert bench_tokens.token_secret({"CUSTOMER_TOKEN_SECRET": "from-env"}, secret_file) == "from-env"


# ---------------------------------------------------------------- figures and ratios


def level(concurrency: int, latencies: list[float], elapsed: float) -> Level:
    return Level(concurrency, latencies=latencies, elapsed=elapsed)


def test_level_figures():
    figures = level(10, [i / 1000 for i in range(1, 101)], 2.0)  # 1..100 ms
    assert figures.turns_per_second == 50.0
    assert figures.quantile(50) == pytest.approx(0.0505)
    assert figures.quantile(95) == pytest.approx(0.09505)
    line = figures.report()
    assert "turns    100" in line and "turns/s    50.0" in line and "p95   95.1 ms" in line
    assert "no successful turns, errors 3" in Level(1, errors=3, elapsed=1.0).report()
    assert math.isnan(Level(1).quantile(95)) and Level(1).turns_per_second == 0.0


def test_ratios_of_ours_to_the_stock_bot():
    ours = level(10, [0.1] * 300, 2.0)  # 150 turns/s, p95 100 ms
    stock = level(10, [0.2] * 100, 2.0)  # 50 turns/s, p95 200 ms
    assert ratios(ours, stock) == "concurrency  10: ours/stock turns/s 3.00  ours/stock p95 0.50"
    assert ratio(1.0, 0.0) == "-" and ratio(float("nan"), 1.0) == "-"
    assert "turns/s -" in ratios(ours, Level(10, elapsed=2.0))


# ---------------------------------------------------------------- the stock bot's set-up


def test_stock_bot_endpoints_use_redis_under_its_own_prefix():
    written = yaml.safe_load(stock_bot.endpoints(stock_bot.Redis("127.0.0.1", 6380, 5)))
    for store in ("tracker_store", "lock_store"):
        assert written[store] | {"record_exp": None} == {"type": "redis", "url": "127.0.0.1", "port": 6380, "db": 5,
                                                         "key_prefix": "stockbot", "record_exp": None}
    assert written["tracker_store"]["record_exp"] == 604800
    assert stock_bot.KEY_PREFIX != "canonassistant"  # ours (scripts/run.sh)
    assert yaml.safe_load(stock_bot.endpoints(None)) is None  # in-memory stores


def test_stock_bot_workers_and_redis_as_run_sh_reads_them():
    redis = stock_bot.Redis.from_env({"REDIS_HOST": "10.0.0.2", "REDIS_PORT": "6390", "REDIS_DB": "5"})
    assert redis == stock_bot.Redis("10.0.0.2", 6390, 5)
    assert stock_bot.Redis.from_env({}) == stock_bot.Redis("127.0.0.1", 6379, 0)
    assert stock_bot.workers(None, {"RASA_WORKERS": "4"}) == 1
    assert stock_bot.workers(redis, {"RASA_WORKERS": "4"}) == 4
    assert stock_bot.workers(redis, {}) >= 1


def test_stock_model_is_the_newest_one(tmp_path):
    assert stock_bot.newest_model(tmp_path) is None
    (tmp_path / "models").mkdir()
    old, new = tmp_path / "models" / "a.tar.gz", tmp_path / "models" / "b.tar.gz"
    old.write_text("old")
    new.write_text("new")
    old_time = time.time() - 100
    os.utime(old, (old_time, old_time))
    assert stock_bot.newest_model(tmp_path) == new
    assert stock_bot.prepare(tmp_path) == new  # made before: nothing to do


# ---------------------------------------------------------------- the servers' processes


def test_servers_are_told_apart_by_port():
    rasa_6005 = [".venv/rasa/bin/python", ".venv/rasa/bin/rasa", "run", "--model", "m.tar.gz", "--port", "6005"]
    rasa_5005 = rasa_6005[:-1] + ["5005"]
    core = [".venv/core/bin/python", "-m", "uvicorn", "bot.core.main:app", "--port=9000"]
    wanted, unwanted = server_cpu.SERVERS["rasa"]
    assert server_cpu._matches(rasa_6005, wanted, unwanted, 6005)
    assert not server_cpu._matches(rasa_5005, wanted, unwanted, 6005)
    assert server_cpu._matches(rasa_5005, wanted, unwanted)  # no port given: any
    assert server_cpu._matches(core, *server_cpu.SERVERS["core"], 9000)
    assert server_cpu._port(["rasa", "run", "--port"]) is None and server_cpu._port(["x", "--port", "a"]) is None


def test_rasa_processes_behind_haproxy_are_their_stack_s():
    """scripts/run.sh's Rasa processes listen on ports of their own: their endpoints file names RASA_PORT, and
    HAProxy's configuration does."""
    node = [".venv/rasa/bin/python", "-m", "bot.rasa_ext.rasa_cli", "run", "--model", "m.tar.gz", "--credentials",
            "credentials.yml", "--endpoints", "build/endpoints-5005.yml", "--interface", "127.0.0.1", "--port", "41001"]
    haproxy = ["/usr/sbin/haproxy", "-db", "-f", "build/haproxy-5005.cfg"]
    assert server_cpu._matches(node, *server_cpu.SERVERS["rasa"], 5005)
    assert not server_cpu._matches(node, *server_cpu.SERVERS["rasa"], 6005)
    assert server_cpu._matches(haproxy, *server_cpu.SERVERS["haproxy"], 5005)
    assert not server_cpu._matches(haproxy, *server_cpu.SERVERS["haproxy"], 6005)
    assert not server_cpu._matches(haproxy, *server_cpu.SERVERS["rasa"], 5005)
    assert not server_cpu._matches(node, *server_cpu.SERVERS["haproxy"], 5005)


def test_a_process_tree_and_its_share_of_a_core():
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; subprocess.Popen([sys.executable, "
                               "'-c', 'import time; time.sleep(30)']); time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while len(server_cpu.process_tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert parent.pid in server_cpu.process_tree(parent.pid) and len(server_cpu.process_tree(parent.pid)) == 2
    finally:
        for pid in server_cpu.process_tree(parent.pid) - {parent.pid}:
            subprocess.run(["kill", str(pid)], check=False)
        parent.kill()
        parent.wait()
    assert server_cpu.share_of_a_core({"core": 1.0, "rasa": 2.0}, {"core": 1.3, "rasa": 2.0}, 30.0) == \
        pytest.approx({"core": 1.0, "rasa": 0.0})


# ---------------------------------------------------------------- the idle bench


def test_idle_report_adds_the_core_and_rasa():
    line = bench_idle.report("idle, 500 open escalations", {"rasa": 0.75, "actions": 0.1, "core": 1.0})
    assert line == "idle, 500 open escalations: rasa  0.75%  actions  0.10%  core  1.00%  " \
                   "| core + rasa  1.75% of one core"


def test_idle_handovers_are_recognised_by_the_domain_s_responses():
    assert bench_idle.HANDED_OVER <= load_responses(ROOT / "domain").keys()
    assert bench_idle.PREFIX.startswith(bench_idle.ALL_BENCH_CONVERSATIONS)
