"""Failed console sign-ins: the throttle's rules called directly, and the sign-in route refusing with 429."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.console.throttle import SignInThrottle
from tests.core.handoff_support import PASSWORD, AgentBrowser, Env, env, handoff_client  # noqa: F401 - fixtures

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_five_failures_of_a_username_make_it_wait_until_the_oldest_leaves_the_window() -> None:
    throttle = SignInThrottle(max_user_failures=5, max_address_failures=20, window=timedelta(minutes=15))
    for minute in range(5):
        assert throttle.retry_after("ona", "10.0.0.1", T0 + timedelta(minutes=minute)) == 0
        throttle.failed("ona", "10.0.0.1", T0 + timedelta(minutes=minute))
    assert throttle.retry_after("ona", "10.0.0.9", T0 + timedelta(minutes=5)) == 10 * 60  # any address
    assert throttle.retry_after("ona", "10.0.0.1", T0 + timedelta(minutes=14, seconds=59)) == 1
    assert throttle.retry_after("ona", "10.0.0.1", T0 + timedelta(minutes=15)) == 0
    assert throttle.retry_after("rasa", "10.0.0.1", T0 + timedelta(minutes=5)) == 0  # another username


def test_an_address_is_limited_across_usernames_and_success_clears_only_the_username() -> None:
    throttle = SignInThrottle(max_user_failures=5, max_address_failures=3)
    for name in ("a", "b", "c"):
        throttle.failed(name, "10.0.0.1", T0)
    assert throttle.retry_after("d", "10.0.0.1", T0) > 0 and throttle.retry_after("d", "10.0.0.2", T0) == 0
    throttle.succeeded("a")
    assert throttle.retry_after("a", "10.0.0.2", T0) == 0 and throttle.retry_after("a", "10.0.0.1", T0) > 0


def test_the_sign_in_refuses_after_five_failures_even_with_the_right_password(env: Env) -> None:
    env.agent("ona")
    browser = AgentBrowser(env.client, "ona")
    for _ in range(5):
        assert browser.sign_in(password="wrong password!!").status_code == 401
    refused = browser.sign_in()
    assert refused.status_code == 429 and "Too many failed sign-ins. Try again in 15 min." in refused.text
    assert int(refused.headers["Retry-After"]) == 15 * 60 and "agent_session" not in browser.cookies
    env.clock.advance(minutes=15)
    assert browser.sign_in().status_code == 303
