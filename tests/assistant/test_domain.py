"""Every response exists in both languages, in the right language, and states the seed's facts."""

from __future__ import annotations

import pytest
import yaml

from bot.rasa_ext.language_detection import detect_language
from tests.assistant.helpers import ROOT, domain, response_text, variation_language

RESPONSES = sorted(domain()["responses"])
LINK = "https://businessid.canon-europe.com/b2bcustomers/s/login/SelfRegister?language=en_GB&source=itcg"


@pytest.mark.parametrize("name", RESPONSES)
def test_response_has_exactly_one_variation_per_language(name):
    languages = sorted(variation_language(v) for v in domain()["responses"][name])
    assert languages == ["en", "lt"], f"{name} has variations {languages}"


@pytest.mark.parametrize("name", RESPONSES)
def test_each_variation_is_written_in_its_language(name):
    for language in ("lt", "en"):
        detected = detect_language(response_text(name, language))
        assert detected.language == language and detected.is_clear, (name, language, detected)


@pytest.mark.parametrize("name", RESPONSES)
def test_each_response_is_one_chat_message(name):
    """Rasa splits a text at blank lines into several messages; our responses are one message each."""
    assert all("\n\n" not in v["text"] for v in domain()["responses"][name])


@pytest.mark.parametrize("name", RESPONSES)
def test_buttons_match_across_languages(name):
    by_language = {variation_language(v): v.get("buttons") or [] for v in domain()["responses"][name]}
    assert [b["payload"] for b in by_language["lt"]] == [b["payload"] for b in by_language["en"]]
    for buttons in by_language.values():
        assert all(b["title"].strip() for b in buttons)


def test_every_intent_has_a_rule_or_story():
    triggered = set()
    for path in (ROOT / "data").glob("*/*.yml"):
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in content.get("rules", []) + content.get("stories", []):
            triggered |= {step["intent"] for step in block["steps"] if "intent" in step}
    assert set(domain()["intents"]) <= triggered


# The seed document's facts, as they must appear in each language's answer.
FACTS = {
    "utter_registration_link": ([LINK], [LINK]),
    "utter_registration_next_steps": (
        ["2 darbo dien", "donotreply@canon-europe.com", "slaptažodžio iš naujo nenustatinėkite"],
        ["2 business days", "donotreply@canon-europe.com", "Do not reset your password"],
    ),
    "utter_order_placed": (
        ["naudotis iš karto", "Naujas narystės numeris"], ["use it right away", "new membership number"]
    ),
    "utter_order_previous_number": (["nebegalioja"], ["no longer valid"]),
    "utter_order_invoice_card": (["per kelias valandas", "sąskaitos apmokėjimo dieną", "per 30 dienų"],
                                 ["within a few hours", "invoice due date", "within 30 days"]),
    "utter_order_invoice_bank": (["per kelias valandas", "iki sąskaitoje nurodytos datos", "vietiniai banko mokesčiai"],
                                 ["within a few hours", "by the invoice date", "local bank fees may apply"]),
    "utter_best_guess_is_fine": (["geriausias spėjimas"], ["best guess is fine"]),
    "utter_documents_vat_registered": (["PVM registracijos pažymėjimą", "PVM numeris", "įmonės pavadinimas"],
                                       ["VAT registration certificate", "VAT number", "company name"]),
    "utter_documents_not_vat_registered": (["VIENĄ", "pavadinimas ir adresas", "sąskaita faktūra", "licencija",
                                            "inkorporavimo"],
                                           ["ONE", "company name and address", "business invoice",
                                            "professional licence", "incorporation extract"]),
    "utter_old_cps_email": (["seną CPS el. pašto", "4 veiksme", "Verslo informacija"],
                            ["old CPS e-mail", "step 4", "Business information"]),
    "utter_approval_time": (["2 darbo dien", "donotreply@canon-europe.com"],
                            ["2 business days", "donotreply@canon-europe.com"]),
    "utter_password_reset": (["nebandykite", "donotreply@canon-europe.com"],
                             ["do not try to reset", "donotreply@canon-europe.com"]),
    "utter_sender_email": (["donotreply@canon-europe.com"], ["donotreply@canon-europe.com"]),
    "utter_after_first_login": (["Mano gaminiai", "juodoje juostoje"], ["My products", "top black bar"]),
    "utter_register_products": (["Mano gaminiai", "juodoje juostoje"], ["My products", "top black bar"]),
    "utter_migrate_products": (["mėlyną mygtuką MIGRUOTI PRODUKTUS"], ["blue MIGRATE PRODUCTS button"]),
    "utter_migrate_button_missing": (["nebuvo nurodytas", "užregistruoti", "CPS prioriteto palaikymo"],
                                     ["was not given", "register your products again", "CPS priority support"]),
    "utter_points_green_tick": (["žalia varnelė", "taškai paskirstyti"], ["green tick", "points"]),
    "utter_no_green_tick": (["serijos numerio", "pirkimo datos", "pirkimo šalies", "prekybos atstovo",
                             "Peržiūrėti gaminį"],
                            ["serial number", "purchase date", "country of purchase", "dealer", "View product"]),
    "utter_unsure_details": (["geriausią spėjimą"], ["best guess"]),
    "utter_cps_invitation": (["500 taškų", "kvietimą"], ["500 points", "invitation"]),
    "utter_cps_tiers": (["2000", "Sidabras", "Auksas", "Platina", "daugiau nei 2500", "Enterprise"],
                        ["2000", "Silver", "Gold", "Platinum", "more than 2500", "Enterprise"]),
    "utter_select_tier": (["ĮJUNGIMO / IŠJUNGIMO", "Galimos CPS pakopos"], ["ON/OFF", "Available CPS tiers"]),
    "utter_payment_methods": (["kortelę", "banko pavedimą"], ["card", "bank transfer"]),
    "utter_card_payment": (["ne iš karto", "nurodytą terminą", "30 dienų"],
                           ["not charged immediately", "due date", "30 days"]),
    "utter_bank_transfer": (["iki sąskaitoje faktūroje nurodytos datos", "vietiniai papildomi mokesčiai"],
                            ["by the date shown on the invoice", "local additional fees"]),
    "utter_invoice_timing": (["per kelias valandas"], ["within a few hours"]),
    "utter_membership_start": (["iš karto"], ["immediately"]),
    "utter_membership_number": (["numeris pasikeis"], ["number will change"]),
    "utter_membership_price": (["metinis mokestis", "lygio", "kortele arba banko pavedimu"],
                               ["annual", "tier", "card or bank transfer"]),
    "utter_more_info": (["DUK"], ["FAQ"]),
}


@pytest.mark.parametrize("name", sorted(FACTS))
def test_answers_state_the_seed_facts(name):
    for language, facts in zip(("lt", "en"), FACTS[name], strict=True):
        text = response_text(name, language)
        missing = [fact for fact in facts if fact not in text]
        assert not missing, f"{name}/{language} lacks {missing}"
