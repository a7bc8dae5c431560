"""Failed console sign-ins: the throttle's rules and the forwarded client address as plain functions (with a
clock), and the sign-in route end to end (429 with Retry-After; other addresses unaffected; X-Forwarded-For
only from a trusted proxy)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from bot.core.config import MissingSetting, Settings
from bot.core.console.throttle import PAIR, BackOff, RedisSignInThrottle, SignInThrottle, Throttle, make_throttle
from bot.core.proxies import client_address, parse_networks, scheme
from tests.core.handoff_support import PASSWORD, AgentBrowser, Env, env, handoff_client  # noqa: F401 - fixtures
from tests.core.redis_support import REDIS_URL, THROTTLES, new_throttle, redis_throttle

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
    for url in ("http://user:hunter2@redis.example", "redis://", "unix://"):
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
