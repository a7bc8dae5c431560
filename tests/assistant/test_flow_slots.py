"""The flow slots (bot/vocabulary.FLOW_SLOTS) hold every slot each form asks for, so that leaving a flow
("stop", a handoff) forgets all of its answers."""

from __future__ import annotations

import warnings

import pytest
from rasa.shared.core.domain import Domain

from bot.vocabulary import FLOW_SLOTS
from tests.assistant.helpers import ROOT

with warnings.catch_warnings():  # Rasa 3.6 warns that slot auto-fill was removed on every domain it loads
    warnings.simplefilter("ignore", UserWarning)
    DOMAIN = Domain.load(ROOT / "domain")


def test_every_form_of_the_domain_has_its_flow_slots():
    assert sorted(DOMAIN.form_names) == sorted(FLOW_SLOTS)


@pytest.mark.parametrize("form", sorted(FLOW_SLOTS))
def test_a_forms_required_slots_are_among_its_flow_slots(form):
    assert set(DOMAIN.required_slots_for_form(form)) <= set(FLOW_SLOTS[form])
