"""The agent console at /agent through the real app, on SQLite and PostgreSQL: sign-in and sign-out (the sign-in
throttle in memory and in Redis), session expiry, access without a session, CSRF, claiming races, only the claiming
agent replies and closes, escaping of customer text in every page, the security headers, the customer's context,
and the live streams."""

from __future__ import annotations

import html
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.core.console.security import hash_password
from bot.core.db.models import Agent, AgentSession, Escalation
from bot.core.handoff import service
from bot.core.handoff.rasa import CLOSED_ACTION, DELIVER_ACTION
from bot.core.tokens import make_customer_token
from tests.core.conftest import TOKEN_SECRET
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    PASSWORD,
    AgentBrowser,
    Env,
    count_rows,
    env,
    handoff_client,
    sse_events,
)
from tests.core.redis_support import THROTTLES

# sign-in tests run with the throttle in memory and in Redis (bot/core/console/throttle.py)
BOTH_THROTTLES = pytest.mark.parametrize("sign_in_throttle", THROTTLES, indirect=True)
CONSOLE = Path(__file__).resolve().parents[2] / "bot" / "core" / "console"
ATTACKS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "\"><svg onload=alert(2)>",
    "</textarea><script>alert(3)</script>",
]


# ------------------------------------------------------------------ sign-in and sign-out


@BOTH_THROTTLES
def test_sign_in_and_out(env: Env) -> None:
    agent = env.agent("ona", "Ona Agentė")
    assert agent.csrf and agent.cookies.get("agent_session")
    page = agent.get("/agent")
    assert page.status_code == 200 and "Ona Agentė" in page.text
    old_cookies = dict(agent.cookies)
    out = agent.act("/agent/sign-out")
    assert out.status_code == 200 and "agent_session" not in agent.cookies
    assert count_rows(env.database_url, AgentSession) == 0  # revoked on the server
    agent.cookies = old_cookies  # the old cookie is worthless now
    assert agent.get("/agent/api/queue").status_code == 401
    assert agent.get("/agent").headers["location"] == "/agent/sign-in"


@BOTH_THROTTLES
def test_the_session_cookie_is_httponly_and_strict(env: Env) -> None:
    with env.sessions() as session:
        from bot.core.agents import create_agent

        create_agent(session, "ona", PASSWORD)
    browser = AgentBrowser(env.client, "ona")
    form = browser.get("/agent/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = browser.request("POST", "/agent/sign-in", data={"username": "ona", "password": PASSWORD,
                                                              "csrf_token": token})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("agent_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Path=/agent" in cookie and "Secure" not in cookie  # plain http here; https sets Secure


@BOTH_THROTTLES
def test_the_session_cookie_is_secure_over_https(env: Env) -> None:
    with env.sessions() as session:
        from bot.core.agents import create_agent

        create_agent(session, "ona", PASSWORD)
    form = env.client.get("https://testserver/agent/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = env.client.post("https://testserver/agent/sign-in", follow_redirects=False, data={
        "username": "ona", "password": PASSWORD, "csrf_token": token})
    env.client.cookies.clear()
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("agent_session="))
    assert "Secure" in cookie


@BOTH_THROTTLES
@pytest.mark.parametrize("username, password", [("ona", "wrong password!!"), ("nobody", PASSWORD),
                                                ("ona", ""), ("", "")])
def test_a_failed_sign_in_does_not_say_what_was_wrong(env: Env, username: str, password: str) -> None:
    env.agent("ona")
    browser = AgentBrowser(env.client, username)
    response = browser.sign_in(password=password, username=username)
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert "agent_session" not in browser.cookies


@BOTH_THROTTLES
def test_a_deactivated_agent_cannot_sign_in_and_loses_the_session(env: Env) -> None:
    from bot.core.agents import set_active

    agent = env.agent("ona")
    with env.sessions() as session:
        set_active(session, "ona", False)
    assert agent.get("/agent/api/queue").status_code == 401
    assert AgentBrowser(env.client, "ona").sign_in().status_code == 401


@BOTH_THROTTLES
def test_sign_in_needs_the_forms_token(env: Env) -> None:
    env.agent("ona")
    browser = AgentBrowser(env.client, "ona")
    response = browser.request("POST", "/agent/sign-in", data={"username": "ona", "password": PASSWORD})
    assert response.status_code == 403 and "agent_session" not in browser.cookies


@BOTH_THROTTLES
def test_the_session_expires(env: Env) -> None:
    agent = env.agent("ona")
    env.clock.advance(hours=7, minutes=59)
    assert agent.get("/agent/api/queue").status_code == 200
    env.clock.advance(minutes=1)
    assert agent.get("/agent/api/queue").status_code == 401
    assert agent.get("/agent").headers["location"] == "/agent/sign-in"
    assert count_rows(env.database_url, AgentSession) == 0  # the expired session was removed


@BOTH_THROTTLES
def test_rehashing_keeps_the_password_valid(env: Env) -> None:
    env.agent("ona")
    with env.sessions() as session:  # an older, weaker hash is upgraded at the next sign-in
        from argon2 import PasswordHasher

        row = session.scalars(select(Agent)).one()
        row.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
        session.commit()
    assert AgentBrowser(env.client, "ona").sign_in().status_code == 303
    with env.sessions() as session:
        upgraded = session.scalars(select(Agent)).one().password_hash
    assert upgraded.startswith("$argon2id$") and "m=65536" in upgraded and upgraded != hash_password(PASSWORD)
    assert AgentBrowser(env.client, "ona").sign_in().status_code == 303


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("path", ["/agent", "/agent/escalations/1"])
def test_pages_without_a_session_go_to_the_sign_in(env: Env, path: str) -> None:
    response = env.client.get(path, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/agent/sign-in"


@pytest.mark.parametrize("path", ["/agent/api/queue", "/agent/api/escalations/1", "/agent/events",
                                  "/agent/escalations/1/events"])
def test_data_without_a_session_is_401(env: Env, path: str) -> None:
    assert env.client.get(path).status_code == 401


@pytest.mark.parametrize("action", ["claim", "messages", "close"])
def test_actions_without_a_session(env: Env, action: str) -> None:
    escalation = env.escalate()
    path = f"/agent/escalations/{escalation['id']}/{action}"
    assert env.client.post(path, json={"text": "x", "resolution_note": "x"}).status_code == 401
    form = env.client.post(path, data={"text": "x"}, follow_redirects=False)
    assert form.status_code == 303 and form.headers["location"] == "/agent/sign-in"
    assert count_rows(env.database_url, Escalation, Escalation.status != "waiting") == 0


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
@pytest.mark.parametrize("action", ["claim", "messages", "close"])
def test_actions_need_the_sessions_csrf_token(env: Env, csrf: str | None, action: str) -> None:
    escalation = env.escalate()
    agent = env.agent("ona")
    if action != "claim":
        assert agent.claim(escalation["id"]).status_code == 200
    response = agent.act(f"/agent/escalations/{escalation['id']}/{action}",
                         {"text": "x", "resolution_note": "x"}, csrf=csrf)
    assert response.status_code == 403 and response.json()["detail"]["code"] == "csrf_failed"
    with env.sessions() as session:
        assert service.messages_of(session, escalation["id"])[-1].sender == "system"
        assert session.get(Escalation, escalation["id"]).status == ("waiting" if action == "claim" else "claimed")


def test_another_agents_csrf_token_does_not_work(env: Env) -> None:
    escalation = env.escalate()
    ona, jonas = env.agent("ona"), env.agent("jonas")
    assert ona.act(f"/agent/escalations/{escalation['id']}/claim", csrf=jonas.csrf).status_code == 403
    assert ona.act("/agent/sign-out", csrf=jonas.csrf).status_code == 403


def test_sign_out_needs_the_csrf_token(env: Env) -> None:
    agent = env.agent("ona")
    assert agent.act("/agent/sign-out", csrf=None).status_code == 403
    assert agent.get("/agent/api/queue").status_code == 200


def test_a_plain_form_with_its_token_works(env: Env) -> None:
    escalation = env.escalate()
    agent = env.agent("ona")
    response = agent.request("POST", f"/agent/escalations/{escalation['id']}/claim",
                             data={"csrf_token": agent.csrf})
    assert response.status_code == 303 and response.headers["location"] == f"/agent/escalations/{escalation['id']}"
    taken = env.agent("jonas").request("POST", f"/agent/escalations/{escalation['id']}/claim",
                                       data={"csrf_token": "x"})
    assert taken.status_code == 403


# ------------------------------------------------------------------ claiming


def test_a_claim_is_exclusive(env: Env) -> None:
    escalation = env.escalate()
    ona, jonas = env.agent("ona", "Ona"), env.agent("jonas", "Jonas")
    assert ona.claim(escalation["id"]).status_code == 200
    refused = jonas.claim(escalation["id"])
    assert refused.status_code == 409
    assert refused.json()["detail"] == {"code": "already_claimed",
                                        "message": "This escalation was already claimed by Ona."}
    again = ona.claim(escalation["id"])
    assert again.status_code == 409 and "by you" in again.json()["detail"]["message"]
    assert ona.claim(999999).status_code == 404


def test_concurrent_claims_over_http_one_wins(env: Env) -> None:
    escalation = env.escalate()
    agents = [env.agent(f"agent{n}") for n in range(4)]
    barrier = threading.Barrier(len(agents))

    def claim(agent: AgentBrowser) -> int:
        barrier.wait()
        return agent.claim(escalation["id"]).status_code

    with ThreadPoolExecutor(len(agents)) as pool:
        statuses = sorted(pool.map(claim, agents))
    assert statuses == [200, 409, 409, 409]
    with env.sessions() as session:
        row = session.get(Escalation, escalation["id"])
        assert row.status == "claimed" and row.claimed_by is not None
        claims = [m for m in service.messages_of(session, escalation["id"]) if "took over" in m.text]
        assert len(claims) == 1


def test_concurrent_claims_in_the_database_one_wins(env: Env) -> None:
    """service.claim from separate sessions at once: the conditional UPDATE decides (SQLite and PostgreSQL)."""
    escalation = env.escalate()
    from bot.core.agents import create_agent

    with env.sessions() as session:
        agents = [create_agent(session, f"db{n}", PASSWORD) for n in range(6)]
    barrier = threading.Barrier(len(agents))

    def claim(agent: Agent) -> str:
        with env.sessions() as session:
            barrier.wait()
            try:
                service.claim(session, escalation["id"], agent, env.clock())
                return "won"
            except service.Conflict:
                return "refused"

    with ThreadPoolExecutor(len(agents)) as pool:
        results = sorted(pool.map(claim, agents))
    assert results == ["refused"] * 5 + ["won"]


# ------------------------------------------------------------------ replying and closing


def test_only_the_claiming_agent_replies_and_closes(env: Env) -> None:
    escalation = env.escalate()
    env.deliver_through_route()
    ona, jonas = env.agent("ona", "Ona"), env.agent("jonas", "Jonas")
    for agent in (ona, jonas):  # before anyone claimed it
        assert agent.reply(escalation["id"], "hi").status_code == 403
        assert agent.close(escalation["id"]).status_code == 403
    assert ona.claim(escalation["id"]).status_code == 200
    reply = jonas.reply(escalation["id"], "hi")
    assert reply.status_code == 403 and reply.json()["detail"]["code"] == "not_your_escalation"
    assert jonas.close(escalation["id"]).status_code == 403
    sent = ona.reply(escalation["id"], "Labas, aš Ona.")
    assert sent.status_code == 201 and sent.json()["message"]["sender"] == "agent"
    assert ona.reply(escalation["id"], "   ").status_code == 422
    assert ona.reply(escalation["id"], "x" * 4001).status_code == 422
    assert ona.close(escalation["id"], note="").status_code == 422
    closed = ona.close(escalation["id"], note="Explained the invoice.")
    assert closed.status_code == 200 and closed.json()["escalation"]["status"] == "closed"
    assert ona.reply(escalation["id"], "late").status_code == 409
    assert ona.close(escalation["id"]).status_code == 409
    with env.sessions() as session:
        row = session.get(Escalation, escalation["id"])
        assert row.resolution_note == "Explained the invoice." and row.closed_at is not None
    assert env.rasa.of("execute") == [("execute", "conv-1", DELIVER_ACTION), ("execute", "conv-1", CLOSED_ACTION)]


# ------------------------------------------------------------------ pages: escaping and headers


def test_customer_text_is_escaped_in_every_page(env: Env) -> None:
    transcript = [{"sender": "customer", "text": text, "timestamp": 1764662400.0 + n}
                  for n, text in enumerate(ATTACKS)]
    escalation = env.escalate("<script>alert('id')</script>", transcript=transcript)
    env.rasa.user_event("<script>alert('id')</script>", ATTACKS[1] + " synced", 1764669999.0)
    from bot.core.handoff.worker import sync_customer_messages

    assert sync_customer_messages(env.handoff) == 1
    agent = env.agent("ona", "<b>Ona</b>")
    assert agent.claim(escalation["id"]).status_code == 200
    assert agent.reply(escalation["id"], ATTACKS[2]).status_code == 201
    pages = [agent.get("/agent"), agent.get(f"/agent/escalations/{escalation['id']}")]
    assert agent.close(escalation["id"], note=ATTACKS[3]).status_code == 200
    pages += [agent.get("/agent"), agent.get(f"/agent/escalations/{escalation['id']}")]
    pages.append(AgentBrowser(env.client, "<script>").sign_in(username="<script>alert(9)</script>"))
    for page in pages:
        assert page.headers["content-type"].startswith("text/html")
        for dangerous in ("<script>alert", "<img src=x", "<svg", "<b>Ona</b>", "</textarea><script>"):
            assert dangerous not in page.text, (dangerous, page.request.url)
    escalation_page = pages[1].text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in escalation_page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; synced" in escalation_page
    assert escalation_page.count("<script") == 1  # only the console's own script tag
    assert '<script src="/agent/static/console.js" type="module"></script>' in escalation_page


def test_the_console_script_never_parses_data_as_html() -> None:
    script = (CONSOLE / "static" / "console.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setTimeout(\"", "createContextualFragment"):
        assert sink not in script
    assert "textContent" in script


def test_templates_have_no_inline_script_or_unescaped_output() -> None:
    for template in (CONSOLE / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "| safe" not in text and "|safe" not in text and "autoescape false" not in text
        assert re.findall(r"<script(?![^>]*\bsrc=)", text) == [], template.name
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", text), template.name  # no inline event handlers
        assert "javascript:" not in text, template.name


@pytest.mark.parametrize("path", ["/agent/sign-in", "/agent", "/agent/escalations/1", "/agent/fallbacks"])
def test_console_pages_have_a_strict_content_security_policy(env: Env, path: str) -> None:
    escalation = env.escalate()
    agent = env.agent("ona")
    response = agent.get(path.replace("/1", f"/{escalation['id']}")) if path != "/agent/sign-in" else \
        env.client.get(path)
    env.client.cookies.clear()
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY" and response.headers["cache-control"] == "no-store"


def test_the_console_assets_are_served(env: Env) -> None:
    for name, kind in (("console.js", "text/javascript"), ("console.css", "text/css")):
        response = env.client.get(f"/agent/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
    assert env.client.get("/agent/static/../router.py").status_code == 404
    assert env.client.get("/agent/static/router.py").status_code == 404


# ------------------------------------------------------------------ the queue and the escalation view


def test_the_queue_lists_waiting_oldest_first_mine_and_recently_closed(env: Env) -> None:
    first = env.escalate("conv-1", language="en", reason="payment_problem")
    env.clock.advance(minutes=3)
    second = env.escalate("conv-2", customer_token=make_customer_token("demo-gold", TOKEN_SECRET))
    env.clock.advance(minutes=1)
    third = env.escalate("conv-3")
    ona, jonas = env.agent("ona", "Ona"), env.agent("jonas", "Jonas")
    assert ona.claim(third["id"]).status_code == 200
    queue = ona.get("/agent/api/queue").json()
    assert [e["id"] for e in queue["waiting"]] == [first["id"], second["id"]]
    assert [e["id"] for e in queue["mine"]] == [third["id"]] and queue["others"] == []
    assert queue["waiting"][0]["language"] == "en" and queue["waiting"][0]["reason"] == "payment_problem"
    assert queue["waiting"][1]["customer_verified"] and queue["waiting"][1]["customer_id"] == "demo-gold"
    assert not queue["waiting"][0]["customer_verified"]
    assert [e["id"] for e in jonas.get("/agent/api/queue").json()["others"]] == [third["id"]]
    assert ona.close(third["id"]).status_code == 200
    assert [e["id"] for e in ona.get("/agent/api/queue").json()["closed"]] == [third["id"]]
    page = ona.get("/agent").text
    waiting_ids = re.findall(r'data-escalation-id="(\d+)" data-status="waiting"', page)
    assert waiting_ids == [str(first["id"]), str(second["id"])]
    assert 'data-language="en"' in page and "demo-gold (verified)" in page and "anonymous" in page
    assert "4 min ago" in page  # the first has waited four minutes


def test_the_escalation_view_shows_the_transcript_and_the_verified_customers_context(env: Env) -> None:
    token = make_customer_token("demo-missing", TOKEN_SECRET)
    escalation = env.escalate("conv-1", customer_token=token, transcript=[
        {"sender": "customer", "text": "Kur mano taškai?", "timestamp": 1764662400.0},
        {"sender": "bot", "text": "Jūs turite 300 taškų.", "timestamp": 1764662401.0}])
    agent = env.agent("ona", "Ona")
    detail = agent.get(f"/agent/api/escalations/{escalation['id']}").json()
    assert [m["sender"] for m in detail["messages"]] == ["customer", "bot", "system"]
    context = detail["context"]
    assert context["application"]["status"] == "approved" and context["points"]["balance"] == 300
    assert {p["model"]: p["missing_fields"] for p in context["products_without_green_tick"]} == {
        "RF70-200": ["serial_number", "dealer"], "RF24-70": ["purchase_date"]}
    assert detail["can_claim"] and not detail["can_reply"]
    page = agent.get(f"/agent/escalations/{escalation['id']}").text
    for marker in ('id="claim"', 'id="reply-text"', 'id="reply-send"', 'id="close-note"', 'id="close"',
                   'data-sender="customer"', 'data-sender="bot"', 'data-sender="system"',
                   "missing serial number, dealer", "Kur mano taškai?"):
        assert marker in page, marker
    member = env.escalate("conv-2", customer_token=make_customer_token("demo-member", TOKEN_SECRET))
    context = agent.get(f"/agent/api/escalations/{member['id']}").json()["context"]
    assert context["membership"]["number"] == "CPS-00012345" and context["products_without_green_tick"] == []
    anonymous = env.escalate("conv-3")
    assert agent.get(f"/agent/api/escalations/{anonymous['id']}").json()["context"] is None
    assert agent.get("/agent/escalations/999999").status_code == 404


# ------------------------------------------------------------------ live updates


def test_the_queue_stream_sends_the_queue_and_ends_on_sign_out(env: Env) -> None:
    escalation = env.escalate("conv-1")
    agent = env.agent("ona")
    response = agent.get("/agent/events")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    assert events[0][0] == "queue" and [e["id"] for e in events[0][2]["waiting"]] == [escalation["id"]]
    assert response.text.startswith("retry: ")
    cookies = dict(agent.cookies)
    agent.act("/agent/sign-out")
    agent.cookies = cookies
    assert agent.get("/agent/events").status_code == 401


def test_the_escalation_stream_resumes_after_the_last_event_id(env: Env) -> None:
    escalation = env.escalate("conv-1", transcript=[
        {"sender": "customer", "text": f"m{n}", "timestamp": 1764662400.0 + n} for n in range(3)])
    agent = env.agent("ona")
    everything = sse_events(agent.get(f"/agent/escalations/{escalation['id']}/events").text)
    messages = [e for e in everything if e[0] == "message"]
    assert [m[2]["text"] for m in messages][:3] == ["m0", "m1", "m2"]
    assert all(m[1] == str(m[2]["id"]) for m in messages)
    state = [e for e in everything if e[0] == "escalation"][-1][2]
    assert state["status"] == "waiting" and state["can_reply"] is False
    second_id = messages[1][1]
    resumed = sse_events(agent.get(f"/agent/escalations/{escalation['id']}/events",
                                   headers={"Last-Event-ID": second_id}).text)
    assert [e[2]["text"] for e in resumed if e[0] == "message"][0] == "m2"
    assert agent.claim(escalation["id"]).status_code == 200
    later = sse_events(agent.get(f"/agent/escalations/{escalation['id']}/events?after={messages[-1][1]}").text)
    assert [e[2]["sender"] for e in later if e[0] == "message"] == ["system"]  # "... took over"
    assert [e for e in later if e[0] == "escalation"][-1][2]["can_reply"] is True
    assert agent.get("/agent/escalations/999999/events").status_code == 404


def test_any_conversation_id_is_shown_as_it_is(env: Env) -> None:
    """The console addresses escalations by their number; a conversation id (any characters, 512 of them) is text."""
    conversation_id = "web/chat/../50% off? #1 <i>ąčę</i> " + "ž" * 470
    escalation = env.escalate(conversation_id)
    agent = env.agent("ona", "Ona")
    assert agent.get(f"/agent/api/escalations/{escalation['id']}").json()["escalation"]["conversation_id"] == (
        conversation_id)
    page = agent.get(f"/agent/escalations/{escalation['id']}").text
    assert html.escape(conversation_id) in page and "<i>ąčę</i>" not in page
