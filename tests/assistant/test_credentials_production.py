"""deploy/credentials.production.yml: Rasa builds every channel from it, and it holds no secret."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterator, Tuple

import pytest
import rasa.core.run
import yaml
from rasa.shared.exceptions import RasaException

from tests.assistant.helpers import ROOT

PRODUCTION = ROOT / "deploy" / "credentials.production.yml"
CHANNEL_DOCS = ROOT / "docs" / "channels.md"
WHATSAPP = "bot.rasa_ext.channels.whatsapp.WhatsAppInput"
SOCKETIO = "bot.rasa_ext.socketio_channel.SocketIOInput"  # Rasa's, with our session_persistence fix
REST = "bot.rasa_ext.channels.rest.RestInput"  # Rasa's, with checked bodies
ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# Settings that are not secrets and may be written out.
PLAIN_SETTINGS = {"user_message_evt", "bot_message_evt", "session_persistence", "metadata_key", "api_version"}


def raw() -> Dict[str, Any]:
    """The file as written (PyYAML does not substitute environment variables)."""
    return yaml.safe_load(PRODUCTION.read_text(encoding="utf-8"))


def settings(tree: Dict[str, Any]) -> Iterator[Tuple[str, str, Any]]:
    for channel, values in tree.items():
        for key, value in (values or {}).items():
            yield channel, key, value


def variables() -> Dict[str, str]:
    """A distinct fake value for every variable the file uses."""
    names = ENV_REFERENCE.findall(PRODUCTION.read_text(encoding="utf-8"))
    return {name: f"fake-{name.lower()}-value" for name in names}


@pytest.fixture
def environment(monkeypatch) -> Dict[str, str]:
    values = variables()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_every_channel_is_configured():
    assert set(raw()) == {REST, SOCKETIO, "telegram", "slack", "facebook", WHATSAPP}


def test_socketio_matches_the_local_credentials():
    """The support page's widget meets the same channel class and protocol settings as with `make run`, and REST
    clients the same REST channel."""
    local = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    assert SOCKETIO in local and REST in local
    protocol = ("user_message_evt", "bot_message_evt", "session_persistence", "metadata_key")
    assert {k: raw()[SOCKETIO].get(k) for k in protocol} == {k: local[SOCKETIO].get(k) for k in protocol}


def test_no_value_is_a_literal_secret():
    for channel, key, value in settings(raw()):
        if key in PLAIN_SETTINGS:
            continue
        assert isinstance(value, str) and ENV_REFERENCE.fullmatch(value), (
            f"{channel}.{key} must be an unquoted ${{VARIABLE}} reference, not {value!r}"
        )


def test_references_are_unquoted():
    """Rasa substitutes `${NAME}` only in plain scalars: a quoted one would stay a literal string."""
    lines = PRODUCTION.read_text(encoding="utf-8").splitlines()
    settings_only = "\n".join(line.split("#", 1)[0] for line in lines)  # without the comments
    assert "${" in settings_only
    assert not re.search(r"""["']\$\{""", settings_only)


def test_rasa_builds_every_channel_with_the_values_from_the_environment(environment):
    channels = {c.name(): c for c in rasa.core.run.create_http_input_channels(None, str(PRODUCTION))}
    assert set(channels) == {"rest", "socketio", "telegram", "slack", "facebook", "whatsapp"}
    env = environment
    assert channels["telegram"].access_token == env["TELEGRAM_ACCESS_TOKEN"]
    assert channels["telegram"].webhook_url == env["TELEGRAM_WEBHOOK_URL"]
    assert channels["slack"].slack_token == env["SLACK_BOT_TOKEN"]
    assert channels["slack"].slack_signing_secret == env["SLACK_SIGNING_SECRET"]
    assert channels["facebook"].fb_secret == env["FACEBOOK_APP_SECRET"]
    assert channels["facebook"].fb_access_token == env["FACEBOOK_PAGE_ACCESS_TOKEN"]
    whatsapp = channels["whatsapp"]
    assert (whatsapp.verify_token, whatsapp.app_secret, whatsapp.access_token, whatsapp.phone_number_id) == (
        env["WHATSAPP_VERIFY_TOKEN"],
        env["WHATSAPP_APP_SECRET"],
        env["WHATSAPP_ACCESS_TOKEN"],
        env["WHATSAPP_PHONE_NUMBER_ID"],
    )
    assert channels["socketio"].session_persistence is True
    assert channels["socketio"].metadata_key == "customData"


def test_rasa_registers_the_webhooks(environment):
    """Rasa's app mounts each channel at /webhooks/<name>/webhook. Telegram is left out: building its routes
    calls Telegram's setWebhook over the internet."""
    channels = rasa.core.run.create_http_input_channels(None, str(PRODUCTION))
    channels = [c for c in channels if c.name() != "telegram"]
    app = rasa.core.run.configure_app(channels, enable_api=False)
    app.router.finalize()
    paths = {"/" + route.path for route in app.router.routes}
    for name in ("rest", "slack", "facebook", "whatsapp"):
        assert f"/webhooks/{name}/webhook" in paths


def test_a_missing_variable_stops_rasa(environment, monkeypatch):
    monkeypatch.delenv("WHATSAPP_APP_SECRET")
    with pytest.raises(RasaException, match="WHATSAPP_APP_SECRET"):
        rasa.core.run.create_http_input_channels(None, str(PRODUCTION))


def test_every_variable_is_documented():
    docs = CHANNEL_DOCS.read_text(encoding="utf-8")
    assert [name for name in variables() if name not in docs] == []
