"""The support page's routes and the demo sign-in, through the real app (SQLite and PostgreSQL)."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.core.config import MissingSetting, Settings
from bot.core.main import create_app
from bot.core.seed import DEMOS
from bot.core.static_files import StaticFiles
from bot.core.web.router import DEMO_TOKEN_LIFETIME, page_language
from bot.core.web.texts import TEXTS
from tests.core.conftest import SERVICE_KEY, TOKEN_SECRET, reset

SOCKET_URL = "https://chat.example.lt"


def make_client(database_url: str, demo_mode: bool) -> TestClient:
    settings = Settings(database_url=database_url, service_key=SERVICE_KEY, customer_token_secret=TOKEN_SECRET,
                        rasa_socket_url=SOCKET_URL, demo_mode=demo_mode)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def demo_client(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url, demo_mode=True) as client:
        yield client


@pytest.fixture(scope="module")
def production_client(database_url: str) -> Iterator[TestClient]:
    with make_client(database_url, demo_mode=False) as client:
        yield client


@pytest.fixture
def seeded(database_url: str) -> None:
    reset(database_url)


def config_of(html: str) -> dict:
    match = re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page carries the widget's configuration"
    return json.loads(match.group(1))


# ------------------------------------------------------------------ the page


def test_page_is_public_and_in_lithuanian_by_default(production_client: TestClient) -> None:
    response = production_client.get("/")  # no X-Service-Key
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="lt">' in html
    assert "Kaip užsiregistruoti verslo paskyrai ir CPS" in html
    assert f"<title data-i18n=\"pageTitle\">{TEXTS['lt']['pageTitle']}</title>" in html.replace("&quot;", '"')
    config = config_of(html)
    assert config["language"] == "lt" and config["socketUrl"] == SOCKET_URL
    assert config["demoMode"] is False and config["demoCustomers"] == []
    assert set(config["texts"]) == {"lt", "en"}
    assert 'id="demo"' in html and re.search(r'<section class="demo" id="demo"[^>]*\bhidden\b', html)


def test_page_answers_head_requests(production_client: TestClient) -> None:
    response = production_client.head("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_page_language_from_query_then_cookie(production_client: TestClient) -> None:
    assert '<html lang="en">' in production_client.get("/?lang=en").text
    assert '<html lang="lt">' in production_client.get("/?lang=de").text
    production_client.cookies.set("chat_lang", "en")
    try:
        assert '<html lang="en">' in production_client.get("/").text
        assert '<html lang="lt">' in production_client.get("/?lang=lt").text
    finally:
        production_client.cookies.clear()
    assert page_language(None, None) == "lt"
    assert page_language("xx", "en") == "en"


def test_both_languages_have_the_same_texts() -> None:
    assert set(TEXTS["lt"]) == set(TEXTS["en"])
    assert all(TEXTS["lt"][key] and TEXTS["en"][key] for key in TEXTS["lt"])


def test_page_security_headers_allow_only_own_code_and_the_socket(production_client: TestClient) -> None:
    headers = production_client.get("/").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "connect-src 'self' https://chat.example.lt wss://chat.example.lt;" in policy
    assert "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"


def test_configuration_is_safe_inside_the_page(database_url: str) -> None:
    settings = Settings(database_url=database_url, service_key=SERVICE_KEY, customer_token_secret=TOKEN_SECRET,
                        rasa_socket_url="http://localhost:5005/</script><script>alert(1)</script>")
    with TestClient(create_app(settings)) as client:
        html = client.get("/").text
    assert "</script><script>alert(1)" not in html
    assert config_of(html)["socketUrl"].endswith("</script><script>alert(1)</script>")


def test_assets_are_served_without_a_key(production_client: TestClient) -> None:
    script = production_client.get("/static/chat.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert production_client.get("/static/chat.css").headers["content-type"].startswith("text/css")
    for name in ("../router.py", "router.py", "%2e%2e%2fconfig.py", "nope.js"):
        assert production_client.get(f"/static/{name}").status_code == 404


def test_both_pages_import_the_shared_helpers_from_one_place(production_client: TestClient) -> None:
    """The widget's and the console's modules import bot/core/static/shared/ by its one URL, which answers."""
    core = Path(__file__).resolve().parents[2] / "bot" / "core"
    scripts = [*(core / "web" / "static").rglob("*.js"), core / "console" / "static" / "console.js"]
    imports = re.compile(r'from "(/static/shared/[^"]+)"')
    imported = {url for script in scripts for url in imports.findall(script.read_text())}
    assert imported == {"/static/shared/dom.js", "/static/shared/http.js"}
    for url in imported:
        response = production_client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")
        assert response.text == (core / "static" / "shared" / Path(url).name).read_text()


def test_socket_io_client_comes_from_the_npm_lock_not_a_cdn(production_client: TestClient) -> None:
    html = production_client.get("/").text
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/socket.io.min.js", "/static/chat.js"]
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    lock = json.loads((Path(__file__).resolve().parents[2] / "web" / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/socket.io-client"]["version"].startswith("4.")


def test_page_routes_are_not_in_the_api_description(production_client: TestClient) -> None:
    paths = production_client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/static/{name}" not in paths
    assert "/demo/sign-in" in paths


# ------------------------------------------------------------------ demo sign-in


def test_demo_mode_off_hides_the_sign_in(production_client: TestClient, seeded: None) -> None:
    response = production_client.post("/demo/sign-in", json={"customer_id": "demo-2000"})
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "demo_mode_off"
    assert production_client.get("/demo/customers").status_code == 404


def test_demo_mode_lists_the_demo_customers(demo_client: TestClient) -> None:
    assert demo_client.get("/demo/customers").json() == {"customers": [demo.id for demo in DEMOS]}
    config = config_of(demo_client.get("/").text)
    assert config["demoMode"] is True and "demo-2000" in config["demoCustomers"]


def test_demo_sign_in_mints_a_token_the_core_accepts(demo_client: TestClient, seeded: None) -> None:
    before = datetime.now(UTC)
    body = demo_client.post("/demo/sign-in", json={"customer_id": "demo-2000"}).json()
    assert body["customer_id"] == "demo-2000"
    claims = jwt.decode(body["customer_token"], TOKEN_SECRET, algorithms=["HS256"])
    assert claims["sub"] == "demo-2000"
    expires = datetime.fromtimestamp(claims["exp"], UTC)
    assert before + DEMO_TOKEN_LIFETIME - timedelta(seconds=5) <= expires <= datetime.now(UTC) + DEMO_TOKEN_LIFETIME
    headers = {"X-Service-Key": SERVICE_KEY, "X-Customer-Token": body["customer_token"]}
    points = demo_client.get("/me/points", headers=headers)
    assert points.status_code == 200
    assert points.json()["balance"] == 2100  # demo-2000's complete products (bot/core/seed.py)
    assert demo_client.get("/me/application", headers=headers).json()["customer_id"] == "demo-2000"
    # the token alone is no service key
    assert demo_client.get("/me/points", headers={"X-Customer-Token": body["customer_token"]}).status_code == 401


@pytest.mark.parametrize("customer_id", ["someone", "demo", "DEMO-2000", "demo-2000 ", "admin", "x" * 100])
def test_demo_sign_in_refuses_anyone_but_a_demo_customer(demo_client: TestClient, customer_id: str) -> None:
    response = demo_client.post("/demo/sign-in", json={"customer_id": customer_id})
    assert response.status_code == 403
    assert response.json()["detail"]["code"] == "not_a_demo_customer"


@pytest.mark.parametrize("body", [{}, {"customer_id": ""}, {"customer_id": 5}, {"customer_id": "x" * 101}, []])
def test_demo_sign_in_rejects_malformed_requests(demo_client: TestClient, body: object) -> None:
    assert demo_client.post("/demo/sign-in", json=body).status_code == 422


# ------------------------------------------------------------------ settings


def test_settings_from_the_environment() -> None:
    base = {"CORE_SERVICE_KEY": "k", "CUSTOMER_TOKEN_SECRET": "s"}
    settings = Settings.from_env(base)
    assert settings.demo_mode is False  # production default
    assert settings.rasa_socket_url == "http://localhost:5005"
    assert Settings.from_env({**base, "CORE_DEMO_MODE": "true"}).demo_mode is True
    assert Settings.from_env({**base, "CORE_DEMO_MODE": "0"}).demo_mode is False
    assert Settings.from_env({**base, "RASA_SOCKET_URL": "https://chat.example.lt/"}).rasa_socket_url == SOCKET_URL
    with pytest.raises(MissingSetting):
        Settings.from_env({**base, "RASA_SOCKET_URL": "javascript:alert(1)"})
    assert settings.chat_key_secret == ""  # no conversation keys: the web chat's handoff routes answer 404
    assert Settings.from_env({**base, "CHAT_KEY_SECRET": "c"}).chat_key_secret == "c"


# ------------------------------------------------------------------ static files (bot/core/static_files.py)


@pytest.fixture
def static_folder(tmp_path: Path) -> Path:
    """A package's static folder with nested modules, and a secret script beside (outside) it."""
    folder = tmp_path / "static"
    for name, text in {"chat/messages.js": "export const m = 1;", "shared/dom.js": "export const d = 2;",
                       "chat/chat.css": "p {}", "chat/notes.txt": "no", "router.py": "no"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / "folder.js").mkdir()
    (tmp_path / "secret.js").write_text("secret")
    (folder / "shared" / "link.js").symlink_to(tmp_path / "secret.js")
    return folder


def test_static_files_serve_nested_scripts_and_styles_only_inside_their_folder(static_folder: Path) -> None:
    files = StaticFiles(static_folder, {"vendor.min.js": static_folder.parent / "secret.js"})
    assert files.find("chat/messages.js") == (static_folder / "chat/messages.js").resolve()
    assert files.find("shared/dom.js") == (static_folder / "shared/dom.js").resolve()
    assert files.find("chat/chat.css") is not None
    assert files.find("vendor.min.js") == static_folder.parent / "secret.js"  # named extra files only
    for path in ("../secret.js", "chat/../../secret.js", str(static_folder.parent / "secret.js"),
                 "shared/link.js", "chat/notes.txt", "router.py", "folder.js", "nope.js", "chat/\x00.js", ""):
        assert files.find(path) is None, path


# Each route's ASSETS, by module, over the folder's part it serves: under /static, shared/ is its own route.
@pytest.mark.parametrize("prefix, modules", [
    ("/static", {"bot.core.web.router": ".", "bot.core.shared_assets": "shared"}),
    ("/static/shared", {"bot.core.shared_assets": "."}),
    ("/agent/static", {"bot.core.console.router": "."}),
])
def test_nested_static_paths_are_served_and_traversal_is_refused(
    production_client: TestClient, static_folder: Path, monkeypatch: pytest.MonkeyPatch, prefix: str,
    modules: dict[str, str],
) -> None:
    for module, part in modules.items():
        monkeypatch.setattr(importlib.import_module(module), "ASSETS", StaticFiles(static_folder / part))
    for path, kind in (("chat/messages.js", "text/javascript"), ("shared/dom.js", "text/javascript"),
                       ("chat/chat.css", "text/css")):
        response = production_client.get(f"{prefix}/{path}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert production_client.get(f"{prefix}/shared/dom.js").text == "export const d = 2;"
    for path in ("%2e%2e/secret.js", "chat/%2e%2e%2f%2e%2e%2fsecret.js", "..%2fsecret.js", "shared/link.js",
                 "chat/notes.txt", "router.py", "folder.js", "shared/nope.js"):
        response = production_client.get(f"{prefix}/{path}")
        assert response.status_code == 404, path
        assert response.json() == {"detail": {"code": "not_found"}}


def test_the_chat_box_stops_at_the_assistants_message_limit(production_client: TestClient) -> None:
    """The widget's cap is the limit every channel enforces (bot/vocabulary.py): a longer message would only get
    the assistant's "please keep it shorter"."""
    from bot.vocabulary import MAX_MESSAGE_CHARACTERS

    html = production_client.get("/").text
    assert config_of(html)["maxMessageLength"] == MAX_MESSAGE_CHARACTERS
    assert f'maxlength="{MAX_MESSAGE_CHARACTERS}"' in html
