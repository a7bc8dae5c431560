"""Failed console sign-ins: the throttle's rules (in memory and in Redis) and the forwarded client address as plain
functions (with a clock); the sign-in route end to end with either store (429 with Retry-After; other addresses
unaffected; X-Forwarded-For only from a trusted proxy); core nodes sharing Redis (failures on one count on the
other, parallel guesses spread over nodes); Redis cut off, down at start, or hanging (the throttle falls back to
the node's memory, with a log line, and comes back)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.core.agents import create_agent
from bot.core.config import MissingSetting, Settings
from bot.core.console.throttle import (
    MEMORY_SECONDS,
    PAIR,
    REDIS_PREFIX,
    REDIS_TIMEOUT,
    BackOff,
    RedisSignInThrottle,
    SignInThrottle,
    Throttle,
    make_throttle,
)
from bot.core.main import create_app
from bot.core.proxies import client_address, parse_networks, scheme
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    PASSWORD,
    AgentBrowser,
    Env,
    FakeRasa,
    env,
    handoff_client,
    make_settings,
)
from tests.core.redis_support import REDIS_URL, THROTTLES, new_throttle, redis_throttle, remove_keys, require_redis
from tests.tcp_proxy import TcpProxy

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
WRONG = "wrong password!!"
ATTACKER, AGENT_HOME, PROXY = "203.0.113.66", "198.51.100.7", "10.0.0.2"
# the sign-in route with the throttle in memory and in Redis
BOTH_THROTTLES = pytest.mark.parametrize("sign_in_throttle", THROTTLES, indirect=True)


def fail(throttle: Throttle, times: int, username: str = "ona", address: str = ATTACKER, at: datetime = T0) -> None:
    for _ in range(times):
        throttle.failed(username, address, at)


@pytest.fixture(params=THROTTLES)
def make(request: pytest.FixtureRequest) -> Iterator[Callable[..., Throttle]]:
    """Makes throttles with the given rules, in memory or in Redis (each test runs with both)."""
    with ExitStack() as made:
        yield lambda **rules: made.enter_context(new_throttle(request.param, **rules))


# ------------------------------------------------------------------ the rules (in memory and in Redis)


def test_a_pair_backs_off_after_three_failures_doubling_up_to_the_cap(make) -> None:
    throttle = make(pair=BackOff(free=3, first=1, cap=15 * 60), address=BackOff(free=1000))
    waits = []
    for _ in range(14):
        throttle.failed("ona", ATTACKER, T0)
        waits.append(throttle.retry_after("ona", ATTACKER, T0))
    assert waits == [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert throttle.retry_after("ona", ATTACKER, T0 + timedelta(seconds=899)) == 1
    assert throttle.retry_after("ona", ATTACKER, T0 + timedelta(seconds=900)) == 0


def test_waits_are_rounded_up_to_whole_seconds(make) -> None:
    throttle = make(pair=BackOff(free=1, first=0.25, cap=60), address=BackOff(free=1000))
    fail(throttle, 2)  # 0.25 s doubled: waits 0.5 s after the second
    assert throttle.retry_after("ona", ATTACKER, T0) == 1
    assert throttle.retry_after("ona", ATTACKER, T0 + timedelta(microseconds=499_999)) == 1
    assert throttle.retry_after("ona", ATTACKER, T0 + timedelta(microseconds=500_000)) == 0


def test_an_attackers_failures_never_hold_back_the_agent_from_another_address(make) -> None:
    throttle = make()
    fail(throttle, 50)
    assert throttle.retry_after("ona", ATTACKER, T0) == 15 * 60
    assert throttle.retry_after("ona", AGENT_HOME, T0) == 0


def test_success_clears_only_its_pair(make) -> None:
    throttle = make()
    fail(throttle, 4)
    fail(throttle, 4, address=AGENT_HOME)
    throttle.succeeded("ona", AGENT_HOME)
    assert throttle.retry_after("ona", AGENT_HOME, T0) == 0 and throttle.retry_after("ona", ATTACKER, T0) == 2


def test_parallel_attempts_pass_the_check_no_more_often_than_failures_allow(make) -> None:
    throttle, passed = make(), []
    start = threading.Barrier(40)

    def sign_in() -> None:  # the route: check, then the slow password check, then nothing more on a failure
        start.wait()
        passed.append(throttle.attempt("ona", ATTACKER, T0) == 0)

    workers = [threading.Thread(target=sign_in) for _ in range(40)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert passed.count(True) == PAIR.free  # not 40 guesses before the first failure is recorded


def test_an_attempt_that_succeeds_costs_its_address_nothing(make) -> None:
    throttle = make(address=BackOff(free=2, first=1, cap=300))
    for n in range(5):  # colleagues behind one address signing in one after another
        assert throttle.attempt(f"agent-{n}", AGENT_HOME, T0) == 0
        throttle.succeeded(f"agent-{n}", AGENT_HOME, attempted=True)
    assert len(throttle) == 0


def test_an_address_spraying_usernames_backs_off_with_a_shorter_cap(make) -> None:
    throttle = make(address=BackOff(free=30, first=1, cap=300))
    for n in range(29):
        throttle.failed(f"user{n}", ATTACKER, T0)
    assert throttle.retry_after("someone", ATTACKER, T0) == 0
    throttle.failed("user29", ATTACKER, T0)
    assert throttle.retry_after("someone", ATTACKER, T0) == 1
    for n in range(30, 60):
        throttle.failed(f"user{n}", ATTACKER, T0)
    assert throttle.retry_after("someone", ATTACKER, T0) == 300
    assert throttle.retry_after("someone", AGENT_HOME, T0) == 0


def test_quiet_failures_are_forgotten(make) -> None:
    throttle = make(pair=BackOff(free=3, forget_after=timedelta(hours=1)))
    fail(throttle, 5)
    fail(throttle, 1, at=T0 + timedelta(minutes=59))  # within the hour: the sixth failure
    assert throttle.retry_after("ona", ATTACKER, T0 + timedelta(minutes=59)) == 8
    later = T0 + timedelta(minutes=59 + 60)
    fail(throttle, 1, at=later)  # an hour after the last one: counting starts again
    assert throttle.retry_after("ona", ATTACKER, later) == 0


def test_in_memory_at_most_max_keys_are_kept() -> None:
    throttle = SignInThrottle(max_keys=10)
    for n in range(1000):
        throttle.failed(f"user{n}", f"10.1.{n // 256}.{n % 256}", T0)
    assert len(throttle) <= 10


def test_in_redis_each_key_expires_after_forget_after_and_holds_no_username() -> None:
    with redis_throttle(pair=BackOff(free=3, forget_after=timedelta(minutes=10))) as throttle:
        fail(throttle, 2, username="my secret password")
        keys = list(throttle.client.scan_iter(match=f"{throttle.prefix}*"))
        assert len(keys) == 2  # the pair and the address
        pair = next(key for key in keys if b":pair:" in key)
        address = next(key for key in keys if key.endswith(b":address"))
        assert 9 * 60_000 < throttle.client.pttl(pair) <= 10 * 60_000  # the pair's forget_after
        assert 59 * 60_000 < throttle.client.pttl(address) <= 60 * 60_000  # ADDRESS's: an hour
        assert not any(b"secret" in key or b"203.0.113" in key for key in keys)  # hashed


def test_the_forwarded_client_counts_only_from_a_trusted_proxy() -> None:
    trusted = parse_networks("10.0.0.0/8, ::1")
    assert client_address(ATTACKER, ["1.2.3.4"], trusted) == ATTACKER  # untrusted peer: header ignored
    assert client_address(ATTACKER, ["1.2.3.4"], ()) == ATTACKER
    assert client_address(PROXY, [], trusted) == PROXY
    assert client_address(PROXY, [AGENT_HOME], trusted) == AGENT_HOME
    # the right-most untrusted hop: what the client wrote itself (left of it) is never believed
    assert client_address(PROXY, ["1.2.3.4, 5.6.7.8", "10.0.0.9"], trusted) == "5.6.7.8"
    assert client_address("::1", ["10.0.0.3, 10.0.0.9"], trusted) == "10.0.0.3"
    assert scheme(PROXY, "http", "https", trusted) == "https" and scheme(ATTACKER, "http", "https", trusted) == "http"
    with pytest.raises(ValueError, match="not-an-address"):
        parse_networks("10.0.0.0/8 not-an-address")


def test_the_redis_url_is_read_from_core_redis_url() -> None:
    env = {"CORE_SERVICE_KEY": "k", "CUSTOMER_TOKEN_SECRET": "s"}
    assert Settings.from_env(env).redis_url == ""  # none by default: the throttle stays in memory
    assert isinstance(make_throttle(""), SignInThrottle)
    for url in ("redis://:pw@redis.example:6379/2", "rediss://redis.example", "unix:///run/redis.sock"):
        assert Settings.from_env({**env, "CORE_REDIS_URL": url}).redis_url == url
    for url in ("http://user:hunter2@redis.example", "redis://", "unix://", "redis://:hunter2@redis.example:port/0"):
        with pytest.raises(MissingSetting, match="CORE_REDIS_URL") as refused:
            Settings.from_env({**env, "CORE_REDIS_URL": url})
        assert "hunter2" not in str(refused.value)  # a URL may hold a password: never echoed
    throttle = make_throttle(REDIS_URL)
    try:
        assert isinstance(throttle, RedisSignInThrottle)
    finally:
        throttle.close()


def test_trusted_proxies_are_read_once_from_core_trusted_proxies() -> None:
    env = {"CORE_SERVICE_KEY": "k", "CUSTOMER_TOKEN_SECRET": "s"}
    assert Settings.from_env(env).trusted_proxies == ()  # none by default
    proxies = Settings.from_env({**env, "CORE_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1 ::1"}).trusted_proxies
    assert [str(network) for network in proxies] == ["10.0.0.0/8", "127.0.0.1/32", "::1/128"]
    with pytest.raises(MissingSetting, match="CORE_TRUSTED_PROXIES"):
        Settings.from_env({**env, "CORE_TRUSTED_PROXIES": "proxy.example"})


# ------------------------------------------------------------------ the sign-in route


@pytest.fixture
def browser_at(env: Env) -> Iterator:  # noqa: F811 - the fixture of handoff_support
    """An agent's browser whose connection comes from a given address (the same app and database)."""
    clients: list[TestClient] = []

    def make(address: str, username: str = "ona") -> AgentBrowser:
        clients.append(TestClient(env.client.app, client=(address, 40000)))
        return AgentBrowser(clients[-1], username)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def trust(env: Env) -> Iterator:  # noqa: F811
    """Sets CORE_TRUSTED_PROXIES of the app for one test."""
    app = env.client.app
    original = app.state.settings

    def set_proxies(proxies: str) -> None:
        app.state.settings = original.model_copy(update={"trusted_proxies": parse_networks(proxies)})

    yield set_proxies
    app.state.settings = original


def forwarded(browser: AgentBrowser, address: str, password: str = PASSWORD) -> int:
    """Sign in through a proxy that says the client is `address`."""
    original = browser.request

    def request(method: str, path: str, headers: dict[str, str] | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return original(method, path, headers={**(headers or {}), "X-Forwarded-For": address}, **kwargs)

    browser.request = request  # type: ignore[method-assign]
    try:
        return browser.sign_in(password=password).status_code
    finally:
        browser.request = original  # type: ignore[method-assign]


@BOTH_THROTTLES
def test_an_attackers_failures_do_not_lock_out_the_agent_signing_in_elsewhere(env: Env, browser_at) -> None:  # noqa: F811
    env.agent("ona")
    attacker = browser_at(ATTACKER)
    for _ in range(3):
        assert attacker.sign_in(password=WRONG).status_code == 401
    for _ in range(10):
        assert attacker.sign_in(password=WRONG).status_code in (401, 429)
    assert attacker.sign_in().status_code == 429  # even the right password waits at the attacker's address
    assert browser_at(AGENT_HOME).sign_in().status_code == 303


@BOTH_THROTTLES
def test_the_back_off_grows_and_a_success_resets_it(env: Env, browser_at) -> None:  # noqa: F811
    env.agent("ona")
    browser = browser_at(AGENT_HOME)
    for _ in range(3):
        assert browser.sign_in(password=WRONG).status_code == 401
    refused = browser.sign_in()
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert "Too many failed sign-ins. Try again in 1 s." in refused.text and "agent_session" not in browser.cookies
    env.clock.advance(seconds=1)
    assert browser.sign_in(password=WRONG).status_code == 401
    assert browser.sign_in().headers["Retry-After"] == "2"
    env.clock.advance(seconds=2)
    assert browser.sign_in().status_code == 303
    browser.cookies.clear()
    for _ in range(3):
        assert browser.sign_in(password=WRONG).status_code == 401  # the pair starts afresh


@BOTH_THROTTLES
def test_the_wait_is_shown_in_minutes_once_it_is_long(env: Env, browser_at) -> None:  # noqa: F811
    env.agent("ona")
    browser = browser_at(AGENT_HOME)
    for _ in range(9):
        env.clock.advance(minutes=10)  # more than any wait so far, less than the hour that forgets
        assert browser.sign_in(password=WRONG).status_code == 401
    refused = browser.sign_in()
    assert refused.headers["Retry-After"] == "64" and "Try again in 2 min." in refused.text


@BOTH_THROTTLES
def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(env: Env, browser_at) -> None:  # noqa: F811
    env.agent("ona")
    attacker = browser_at(ATTACKER)
    for n in range(3):
        assert forwarded(attacker, f"192.0.2.{n}", WRONG) == 401
    assert forwarded(attacker, "192.0.2.200", WRONG) == 429  # a fresh forged address does not help


@BOTH_THROTTLES
def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(env: Env, browser_at, trust) -> None:  # noqa: F811
    env.agent("ona")
    trust("10.0.0.0/8")
    proxy = browser_at(PROXY)
    for _ in range(3):
        assert forwarded(proxy, ATTACKER, WRONG) == 401
    assert forwarded(proxy, ATTACKER) == 429
    assert forwarded(proxy, AGENT_HOME) == 303  # the same proxy, another client: not held back


# ------------------------------------------------------------------ several core nodes sharing Redis


@dataclass
class Node:
    """A core node (its own app, as another process would be) on the test's database and clock."""

    app: FastAPI
    clients: list[TestClient]

    @property
    def throttle(self) -> Throttle:
        return self.app.state.sign_in_throttle

    def browser(self, address: str, username: str = "ona") -> AgentBrowser:
        """An agent's browser whose connection comes from `address`."""
        self.clients.append(TestClient(self.app, client=(address, 40000)))
        return AgentBrowser(self.clients[-1], username)


@pytest.fixture
def nodes(env: Env) -> Iterator[Callable[..., Node]]:  # noqa: F811
    """Starts core nodes configured with CORE_REDIS_URL (REDIS_URL unless given; "" for none), as behind a load
    balancer; the throttle's keys (the app's own prefix) are removed before and after."""
    require_redis()
    remove_keys(REDIS_PREFIX)
    with ExitStack() as running:

        def start(redis_url: str = REDIS_URL) -> Node:
            settings = make_settings(env.database_url).model_copy(update={"redis_url": redis_url})
            first = running.enter_context(TestClient(create_app(settings, clock=env.clock, rasa=FakeRasa())))
            node = Node(first.app, [first])
            running.callback(lambda: [client.close() for client in node.clients[1:]])
            return node

        yield start
    remove_keys(REDIS_PREFIX)


def sign_in_form(browser: AgentBrowser) -> dict[str, str]:
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/agent/sign-in").text)
    assert token
    return {"username": browser.username, "password": WRONG, "csrf_token": token.group(1)}


def test_failures_on_one_core_node_count_on_the_other(env: Env, nodes) -> None:  # noqa: F811
    with env.sessions() as session:
        create_agent(session, "ona", PASSWORD)
    a, b = nodes(), nodes()
    assert isinstance(a.throttle, RedisSignInThrottle) and a.throttle is not b.throttle
    on_a, on_b = a.browser(ATTACKER), b.browser(ATTACKER)
    assert on_a.sign_in(password=WRONG).status_code == 401
    assert on_b.sign_in(password=WRONG).status_code == 401
    assert on_a.sign_in(password=WRONG).status_code == 401  # the third guess, whichever node took the others
    refused = on_b.sign_in()  # even the right password waits, on the other node too
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    assert on_a.sign_in().status_code == 429
    env.clock.advance(seconds=1)
    assert on_b.sign_in(password=WRONG).status_code == 401
    assert on_a.sign_in().headers["Retry-After"] == "2"  # the back-off grows alike on both nodes
    assert a.browser(AGENT_HOME).sign_in().status_code == 303  # the agent elsewhere is not held back
    env.clock.advance(seconds=2)
    assert on_b.sign_in().status_code == 303  # a success on one node clears the pair on both
    for _ in range(3):
        assert on_a.sign_in(password=WRONG).status_code == 401


def test_without_redis_each_node_counts_on_its_own(env: Env, nodes) -> None:  # noqa: F811
    """What CORE_REDIS_URL is for: in memory, two nodes give an attacker twice the free guesses."""
    with env.sessions() as session:
        create_agent(session, "ona", PASSWORD)
    a, b = nodes(""), nodes("")
    assert isinstance(a.throttle, SignInThrottle)
    on_a, on_b = a.browser(ATTACKER), b.browser(ATTACKER)
    assert [on_a.sign_in(password=WRONG).status_code for _ in range(3)] == [401] * 3
    assert [on_b.sign_in(password=WRONG).status_code for _ in range(3)] == [401] * 3


def test_parallel_sign_ins_spread_over_nodes_get_no_more_guesses(env: Env, nodes) -> None:  # noqa: F811
    with env.sessions() as session:
        create_agent(session, "ona", PASSWORD)
    a, b = nodes(), nodes()
    browsers = [(a, b)[n % 2].browser(ATTACKER) for n in range(12)]
    forms = [sign_in_form(browser) for browser in browsers]
    start = threading.Barrier(len(browsers))

    def guess(n: int) -> int:
        start.wait()
        return browsers[n].request("POST", "/agent/sign-in", data=forms[n]).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        statuses = sorted(pool.map(guess, range(len(browsers))))
    assert statuses == [401] * PAIR.free + [429] * (len(browsers) - PAIR.free)


def test_redis_going_away_falls_back_to_each_nodes_memory_and_back(env: Env, nodes, caplog) -> None:  # noqa: F811
    with env.sessions() as session:
        create_agent(session, "ona", PASSWORD)
    target = urlsplit(REDIS_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    try:
        node = nodes(target._replace(netloc=f"127.0.0.1:{proxy.port}").geturl())
        throttle = node.throttle
        assert isinstance(throttle, RedisSignInThrottle)
        throttle.memory_seconds = 0  # asks Redis again at every step (5 s in production)
        attacker, agent = node.browser(ATTACKER), node.browser(AGENT_HOME)
        for _ in range(3):
            assert attacker.sign_in(password=WRONG).status_code == 401
        assert attacker.sign_in().status_code == 429  # counted in Redis
        proxy.cut()
        with caplog.at_level(logging.WARNING, logger="bot.core.console.throttle"):
            assert agent.sign_in().status_code == 303  # no agent locked out, no error page
            assert throttle.on_memory
            # not wide open either: this node's memory counts the attacker from now on
            assert [attacker.sign_in(password=WRONG).status_code for _ in range(3)] == [401] * 3
            assert attacker.sign_in().status_code == 429
            proxy.restore()
            refused = attacker.sign_in()  # Redis answers again: its count is the one that holds
            assert refused.status_code == 429 and refused.headers["Retry-After"] == "1" and not throttle.on_memory
        lines = [record.getMessage() for record in caplog.records if record.name == "bot.core.console.throttle"]
        assert len(lines) == 2, lines  # one line when Redis fails, one when it is back
        assert "Redis failed (ConnectionError" in lines[0] and "counted in this process only" in lines[0]
        assert "Redis answers again" in lines[1]
    finally:
        proxy.close()


def test_a_core_started_while_redis_is_down_signs_agents_in(env: Env, nodes) -> None:  # noqa: F811
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with env.sessions() as session:
        create_agent(session, "ona", PASSWORD)
    node = nodes(f"redis://127.0.0.1:{port}/14")
    assert node.browser(AGENT_HOME).sign_in().status_code == 303
    assert node.throttle.on_memory  # type: ignore[attr-defined]


def test_a_redis_that_hangs_costs_one_timeout_then_memory_until_it_is_asked_again() -> None:
    ticks = [0.0]
    with socket.socket() as silent:  # connections are accepted (the kernel's backlog), nothing ever answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        throttle = RedisSignInThrottle.from_url(f"redis://127.0.0.1:{silent.getsockname()[1]}/14",
                                                monotonic=lambda: ticks[0])
        try:
            started = time.monotonic()
            assert throttle.attempt("ona", ATTACKER, T0) == 0
            assert time.monotonic() - started < REDIS_TIMEOUT + 1  # one timeout, no retries
            started = time.monotonic()
            fail(throttle, 3)
            assert throttle.retry_after("ona", ATTACKER, T0) == 2  # 4 failures counted in memory
            assert time.monotonic() - started < 0.5 and throttle.on_memory  # Redis not asked meanwhile
            ticks[0] += MEMORY_SECONDS
            started = time.monotonic()
            assert throttle.retry_after("ona", ATTACKER, T0) == 2  # asked again (a timeout), still in memory
            assert time.monotonic() - started >= REDIS_TIMEOUT * 0.9
        finally:
            throttle.close()
