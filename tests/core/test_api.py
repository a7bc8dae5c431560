"""The API through the real app, on SQLite and PostgreSQL, with the seeded demo customers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient

from bot.core.config import MissingSetting
from bot.core.domain.catalogue import TIERS
from bot.core.domain.rules import expected_approval_date
from bot.core.main import create_app
from bot.core.tokens import make_customer_token
from tests.core.conftest import SERVICE_KEY, TOKEN_SECRET, Api

ACCOUNT_ROUTES = [
    ("GET", "/me/application"),
    ("GET", "/me/points"),
    ("GET", "/me/tiers"),
    ("GET", "/me/products"),
    ("GET", "/me/migration"),
    ("POST", "/me/migration"),
    ("GET", "/me/membership"),
    ("PATCH", "/me/products/1"),
    ("POST", "/me/orders"),
]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def by_model(products: list[dict]) -> dict[str, dict]:
    return {p["model"]: p for p in products}


# ------------------------------------------------------------------ service key and customer token


def test_health_and_docs_need_no_key(api: Api) -> None:
    assert api.client.get("/health").json() == {"status": "ok", "database": "ok"}
    assert api.client.get("/docs").status_code == 200
    assert "/me/orders" in api.client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("key", [None, "", "wrong", SERVICE_KEY[:-1], SERVICE_KEY + "x"])
@pytest.mark.parametrize("method, path", [*ACCOUNT_ROUTES, ("POST", "/applications")])
def test_service_key_missing_or_wrong_is_401(api: Api, key: str | None, method: str, path: str) -> None:
    headers = {"X-Customer-Token": api.tokens["demo-gold"]}
    if key is not None:
        headers["X-Service-Key"] = key
    response = api.client.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "invalid_service_key"


def forged_tokens() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "expired": make_customer_token("demo-gold", TOKEN_SECRET, now - timedelta(days=31)),
        "wrong secret": make_customer_token("demo-gold", "another-secret-0123456789abcdef-xyz"),
        "unsigned": jwt.encode(
            {"sub": "demo-gold", "exp": now + timedelta(days=1)}, key=None, algorithm="none"
        ),
        "no exp": jwt.encode({"sub": "demo-gold"}, TOKEN_SECRET, algorithm="HS256"),
        "no sub": jwt.encode({"exp": now + timedelta(days=1)}, TOKEN_SECRET, algorithm="HS256"),
        "unknown customer": make_customer_token("demo-nobody", TOKEN_SECRET),
        "garbage": "not-a-jwt",
    }


@pytest.mark.parametrize("case", [None, *forged_tokens()])
@pytest.mark.parametrize("method, path", ACCOUNT_ROUTES)
def test_bad_customer_token_is_anonymous(api: Api, case: str | None, method: str, path: str) -> None:
    token = None if case is None else forged_tokens()[case]
    response = api.call(method, path, token, json={}, headers={"Idempotency-Key": "k1"})
    assert response.status_code == 401
    assert response.json()["detail"]["code"] == "anonymous"
    assert "balance" not in response.text and "demo-gold" not in response.text


def test_a_token_reaches_only_its_own_products(api: Api) -> None:
    gold_product = api.ok("GET", "/me/products", "demo-gold")["products"][0]
    response = api.call("PATCH", f"/me/products/{gold_product['id']}", "demo-silver", json={"dealer": "Mine"})
    assert response.status_code == 404
    assert api.ok("GET", "/me/products", "demo-gold")["products"][0] == gold_product


def test_app_start_requires_the_service_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORE_SERVICE_KEY", raising=False)
    monkeypatch.setenv("CUSTOMER_TOKEN_SECRET", TOKEN_SECRET)
    with pytest.raises(MissingSetting):
        with TestClient(create_app()):
            pass


# ------------------------------------------------------------------ applications


def test_pending_application(api: Api) -> None:
    answer = api.ok("GET", "/me/application", "demo-pending")
    submitted = date.fromisoformat(answer["submitted_at"][:10])
    assert answer["status"] == "submitted" and answer["can_set_password"] is False
    assert submitted < date.today()
    assert date.fromisoformat(answer["expected_approval_date"]) == expected_approval_date(submitted, "LT")
    response = api.get("/me/points", "demo-pending")
    assert response.status_code == 403 and response.json()["detail"]["code"] == "account_not_approved"


def test_approved_application_can_set_password(api: Api) -> None:
    answer = api.ok("GET", "/me/application", "demo-gold")
    assert answer["status"] == "approved" and answer["can_set_password"] is True


def application(customer_id: str, **changes: object) -> dict:
    body = {
        "customer_id": customer_id,
        "email": "info@naujas.lt",
        "company": "UAB Naujas",
        "country": "Lietuva",
        "vat_registered": True,
        "old_cps_email": "senas@naujas.lt",
        "documents": [{"kind": "business_invoice", "shows_company_name": True, "shows_vat_number": True}],
    }
    return {**body, **changes}


def test_post_application_computes_the_approval_date(api: Api) -> None:
    api.client.app.state.clock = lambda: NOW  # a Monday
    answer = api.ok("POST", "/applications", json=application("new-1"))
    assert answer["status"] == "submitted" and answer["country"] == "LT"
    assert (
        answer["expected_approval_date"]
        == expected_approval_date(NOW.date(), "LT").isoformat()
        == "2026-03-04"
    )
    token = make_customer_token("new-1", TOKEN_SECRET)
    assert api.ok("GET", "/me/application", token)["old_cps_email_given"] is True
    assert api.call("POST", "/applications", json=application("new-1")).status_code == 409


@pytest.mark.parametrize(
    "changes, problems",
    [
        ({"documents": []}, ["no_documents"]),
        (
            {"documents": [{"kind": "business_invoice", "shows_company_name": True}]},
            ["vat_document_required"],
        ),
        (
            {
                "vat_registered": False,
                "documents": [{"kind": "business_licence", "shows_company_name": True}],
            },
            ["non_vat_document_required"],
        ),
    ],
)
def test_post_application_rejects_documents(api: Api, changes: dict, problems: list[str]) -> None:
    response = api.call("POST", "/applications", json=application("new-2", **changes))
    assert response.status_code == 422
    assert response.json()["detail"]["problems"] == problems


def test_post_application_rejects_an_unknown_country(api: Api) -> None:
    response = api.call("POST", "/applications", json=application("new-3", country="Atlantida"))
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == {"country": "unknown_country"}


# ------------------------------------------------------------------ points and tiers


@pytest.mark.parametrize(
    "customer, balance, tiers",
    [
        ("demo-migrate", 0, []),
        ("demo-nomail", 0, []),
        ("demo-missing", 300, []),
        ("demo-silver", 650, ["silver"]),
        ("demo-gold", 1200, ["silver", "gold"]),
        ("demo-2000", 2100, ["silver", "gold", "platinum"]),
        ("demo-enterprise", 3000, ["silver", "gold", "platinum", "enterprise"]),
        ("demo-member", 1700, ["silver", "gold", "platinum"]),
    ],
)
def test_points_and_tiers_of_each_demo_customer(
    api: Api, customer: str, balance: int, tiers: list[str]
) -> None:
    points = api.ok("GET", "/me/points", customer)
    assert points["balance"] == balance
    assert points["invited"] is (balance >= 500)
    assert points["points_to_invitation"] == max(0, 500 - balance)
    answer = api.ok("GET", "/me/tiers", customer)
    assert [t["code"] for t in answer["tiers"]] == tiers and answer["balance"] == balance


def test_tiers_carry_their_annual_fees(api: Api) -> None:
    tiers = api.ok("GET", "/me/tiers", "demo-enterprise")["tiers"]
    assert {t["code"]: t["annual_fee_eur"] for t in tiers} == {t.code: str(t.annual_fee_eur) for t in TIERS}


# ------------------------------------------------------------------ products


def test_products_show_missing_fields_and_green_ticks(api: Api) -> None:
    answer = api.ok("GET", "/me/products", "demo-missing")
    products = by_model(answer["products"])
    assert answer["balance"] == 300
    assert products["EOS-R5"]["has_green_tick"] is True and products["EOS-R5"]["missing_fields"] == []
    assert products["RF70-200"]["missing_fields"] == ["serial_number", "dealer"]
    assert products["RF24-70"]["missing_fields"] == ["purchase_date"]
    assert [p["points"] for p in answer["products"]] == [300, 200, 150]
    assert api.ok("GET", "/me/points", "demo-missing")["pending_points"] == 350


def patch(api: Api, customer: str, model: str, **fields: str) -> dict:
    product = by_model(api.ok("GET", "/me/products", customer)["products"])[model]
    return api.ok("PATCH", f"/me/products/{product['id']}", customer, json=fields)


def test_completing_a_product_reaches_the_invitation_at_exactly_500(api: Api) -> None:
    half = patch(api, "demo-missing", "RF70-200", serial_number="ab 123456")
    assert half["product"]["missing_fields"] == ["dealer"] and half["balance"] == 300 and not half["invited"]
    done = patch(api, "demo-missing", "RF70-200", dealer="  Fotoprekyba   UAB ")
    assert done["product"]["has_green_tick"] and done["product"]["serial_number"] == "AB123456"
    assert done["product"]["dealer"] == "Fotoprekyba UAB"
    assert (done["balance"], done["invited"]) == (500, True)
    assert [t["code"] for t in api.ok("GET", "/me/tiers", "demo-missing")["tiers"]] == ["silver"]


def test_below_500_there_is_no_invitation(api: Api) -> None:
    below = patch(api, "demo-missing", "RF24-70", purchase_date="2022-05-01")
    assert (below["balance"], below["invited"]) == (450, False)
    assert api.ok("GET", "/me/points", "demo-missing")["points_to_invitation"] == 50
    assert api.ok("GET", "/me/tiers", "demo-missing")["tiers"] == []
    above = patch(
        api,
        "demo-missing",
        "RF70-200",
        serial_number="SN778899",
        dealer="Foto",
        country_of_purchase="Latvija",
    )
    assert (above["balance"], above["invited"], above["product"]["country_of_purchase"]) == (650, True, "LV")


def test_invalid_product_details_give_a_code_per_field(api: Api) -> None:
    product = by_model(api.ok("GET", "/me/products", "demo-missing")["products"])["RF70-200"]
    body = {
        "serial_number": "x!",
        "purchase_date": "2999-01-01",
        "country_of_purchase": "Marsas",
        "dealer": "  ",
    }
    response = api.call("PATCH", f"/me/products/{product['id']}", "demo-missing", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == {
        "serial_number": "implausible_serial_number",
        "purchase_date": "purchase_date_in_future",
        "country_of_purchase": "unknown_country",
        "dealer": "dealer_empty",
    }
    bad_date = api.call(
        "PATCH", f"/me/products/{product['id']}", "demo-missing", json={"purchase_date": "vakar"}
    )
    assert bad_date.json()["detail"]["fields"] == {"purchase_date": "invalid_date"}
    assert by_model(api.ok("GET", "/me/products", "demo-missing")["products"])["RF70-200"] == product


# ------------------------------------------------------------------ migration


def test_migration_is_available_and_idempotent(api: Api) -> None:
    assert api.ok("GET", "/me/migration", "demo-migrate") == {
        "available": True,
        "count": 2,
        "old_cps_email_given": True,
    }
    first = api.ok("POST", "/me/migration", "demo-migrate")
    assert (first["migrated"], first["available"], first["balance"]) == (2, False, 300)
    second = api.ok("POST", "/me/migration", "demo-migrate")
    assert (second["migrated"], second["balance"]) == (0, 300)
    products = api.ok("GET", "/me/products", "demo-migrate")["products"]
    assert [(p["model"], p["missing_fields"]) for p in products] == [("EOS-R5", []), ("RF24-70", ["dealer"])]
    assert api.ok("GET", "/me/migration", "demo-migrate")["available"] is False


def test_no_migration_without_the_old_email(api: Api) -> None:
    assert api.ok("GET", "/me/migration", "demo-nomail") == {
        "available": False,
        "count": 0,
        "old_cps_email_given": False,
    }
    response = api.call("POST", "/me/migration", "demo-nomail")
    assert response.status_code == 409 and response.json()["detail"]["code"] == "no_old_cps_email"
    assert api.ok("GET", "/me/products", "demo-nomail")["products"] == []


# ------------------------------------------------------------------ memberships and orders


def order(api: Api, customer: str, key: str | None, tier: str, method: str = "card"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.call(
        "POST", "/me/orders", customer, headers=headers, json={"tier": tier, "payment_method": method}
    )


def test_membership_of_a_member_and_of_a_non_member(api: Api) -> None:
    membership = api.ok("GET", "/me/membership", "demo-member")["membership"]
    assert (membership["number"], membership["status"], membership["tier"]) == (
        "CPS-00012345",
        "active",
        "gold",
    )
    assert api.ok("GET", "/me/membership", "demo-gold") == {"membership": None}


def test_an_order_changes_the_membership_number_once_per_key(api: Api) -> None:
    first = order(api, "demo-member", "key-1", "platinum")
    assert first.status_code == 201
    created = first.json()
    assert created["previous_membership_number"] == "CPS-00012345"
    assert created["membership"]["number"] != "CPS-00012345" and created["membership"]["status"] == "active"
    again = order(api, "demo-member", "key-1", "platinum")
    assert again.status_code == 200 and again.json() == created
    assert api.ok("GET", "/me/membership", "demo-member")["membership"] == created["membership"]
    renewed = order(api, "demo-member", "key-2", "gold").json()
    assert renewed["previous_membership_number"] == created["membership"]["number"]
    assert renewed["membership"]["number"] not in ("CPS-00012345", created["membership"]["number"])


def test_a_reused_key_for_another_order_conflicts(api: Api) -> None:
    assert order(api, "demo-gold", "key-1", "gold").status_code == 201
    response = order(api, "demo-gold", "key-1", "silver")
    assert response.status_code == 409 and response.json()["detail"]["code"] == "idempotency_key_reused"


def test_keys_are_per_customer(api: Api) -> None:
    gold, member = (
        order(api, "demo-gold", "same", "gold").json(),
        order(api, "demo-member", "same", "gold").json(),
    )
    assert gold["membership"]["number"] != member["membership"]["number"]
    assert (
        member["previous_membership_number"] == "CPS-00012345" and gold["previous_membership_number"] is None
    )


@pytest.mark.parametrize(
    "method, charged_on, pay_by, fees",
    [("card", "2026-04-01", None, False), ("bank_transfer", None, "2026-04-01", True)],
)
def test_invoice_is_issued_now_and_due_in_30_days(
    api: Api, method: str, charged_on: str | None, pay_by: str | None, fees: bool
) -> None:
    api.client.app.state.clock = lambda: NOW
    answer = order(api, "demo-2000", "k", "platinum", method).json()
    assert answer["invoice"] == {"issued_at": "2026-03-02T09:30:00Z", "due_date": "2026-04-01"}
    assert answer["payment"] == {
        "method": method,
        "charged_on": charged_on,
        "pay_by": pay_by,
        "local_fees_may_apply": fees,
    }
    assert (answer["tier"], answer["annual_fee_eur"]) == ("platinum", "250.00")
    assert answer["membership"]["started_at"] == "2026-03-02T09:30:00Z"


@pytest.mark.parametrize(
    "customer, key, tier, code",
    [
        ("demo-silver", "k", "gold", "tier_not_eligible"),
        ("demo-2000", "k", "enterprise", "tier_not_eligible"),
        ("demo-missing", "k", "silver", "tier_not_eligible"),
        ("demo-gold", "k", "diamond", "unknown_tier"),
        ("demo-gold", None, "gold", "idempotency_key_required"),
    ],
)
def test_orders_need_an_eligible_tier_and_a_key(
    api: Api, customer: str, key: str | None, tier: str, code: str
) -> None:
    response = order(api, customer, key, tier)
    assert response.status_code == 422 and response.json()["detail"]["code"] == code
    assert api.ok("GET", "/me/membership", customer)["membership"] is None


def test_enterprise_is_open_above_2500(api: Api) -> None:
    answer = order(api, "demo-enterprise", "k", "enterprise", "bank_transfer").json()
    assert (answer["tier"], answer["annual_fee_eur"], answer["previous_membership_number"]) == (
        "enterprise",
        "600.00",
        None,
    )


def test_invalid_bodies_give_a_code_per_field(api: Api) -> None:
    response = api.call(
        "POST",
        "/me/orders",
        "demo-gold",
        headers={"Idempotency-Key": "k"},
        json={"tier": "gold", "payment_method": "cash"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "code": "invalid_request",
        "message": "The request is not valid.",
        "fields": {"payment_method": "enum"},
    }


def test_product_ids_beyond_a_database_integer_are_refused(api: Api) -> None:
    """Found by the schemathesis fuzz: such an id made SQLite raise an OverflowError (500)."""
    answer = api.call("PATCH", f"/me/products/{2**70}", "demo-missing", json={"dealer": "Foto"})
    assert answer.status_code == 422
