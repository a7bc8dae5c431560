"""The product-details flow when the core cannot save (actions/product_details_flow.py, issue 14): the details
typed are kept and the flow's start saves them on the retry; a refusal by the core still forgets them."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import product_details_flow
from actions.core_client import Product, ProductSaved, Rejected, Unavailable
from actions.product_details_flow import ActionSaveProductDetails, ActionStartProductDetails

DETAILS = {"serial_number": "XK1234567", "purchase_date": "2024-03-01", "country_of_purchase": "DE",
           "dealer": "Foto Centras"}


class FakeCore:
    """The calls the flow makes; `error` is raised by every call while set."""

    def __init__(self, error: Optional[Exception] = None) -> None:
        self.error, self.saved = error, []

    async def update_product(self, _token: Any, product_id: int, details: Dict[str, str]) -> ProductSaved:
        if self.error:
            raise self.error
        self.saved.append((product_id, details))
        return ProductSaved(Product("EOS R6", [], 7), 550, False)

    async def products_without_tick(self, _token: Any) -> List[Product]:
        if self.error:
            raise self.error
        return []


@pytest.fixture
def core(monkeypatch):
    fake = FakeCore()
    monkeypatch.setattr(product_details_flow.CoreClient, "from_env", classmethod(lambda _cls: fake))
    return fake


def tracker(active_loop: Optional[str] = None, **slots: Any) -> Tracker:
    all_slots = {"language": "en", "product_id": 7, "product_name": "EOS R6",
                 "product_missing": list(DETAILS), **DETAILS, **slots}
    return Tracker("customer", all_slots, {"intent": {"name": "complete_product_details"}}, [], False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action: Any, state: Tracker) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return events, [m["response"] for m in dispatcher.messages]


def test_the_core_down_keeps_the_details_and_offers_a_retry(core):
    core.error = Unavailable("connection refused")
    events, said = run(ActionSaveProductDetails(), tracker())
    assert said == ["utter_product_details_kept"] and events == []  # nothing forgotten


def test_a_refusal_by_the_core_still_forgets_them(core):
    core.error = Rejected("invalid", {"serial_number": "invalid"})
    events, said = run(ActionSaveProductDetails(), tracker())
    assert said == ["utter_product_save_failed"]
    assert {"event": "slot", "name": "serial_number", "value": None, "timestamp": None} in events


def test_the_retry_saves_the_kept_details(core):
    events, said = run(ActionStartProductDetails(), tracker())
    assert core.saved == [(7, DETAILS)]
    assert said == ["utter_product_completed", "utter_product_details_finished"]


@pytest.mark.parametrize("state", [tracker(active_loop="product_details_form"), tracker(product_id=None),
                                   tracker(**dict.fromkeys(DETAILS))])
def test_nothing_kept_means_a_fresh_start(core, state):
    assert not product_details_flow.kept_details(state)
