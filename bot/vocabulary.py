"""The words both environments share: languages, handoff reasons, slot and metadata names, the guided flows.

Standard library only and Python 3.10-safe: the core service (3.11), our Rasa components and the actions (3.10)
import it. A word that names the same thing on both sides is defined here once.
"""

from __future__ import annotations

from typing import Dict, Tuple

# ------------------------------------------------------------------ languages

LT = "lt"
EN = "en"
LANGUAGES: Tuple[str, ...] = (LT, EN)
DEFAULT_LANGUAGE = LT  # a conversation or page with no language of its own is Lithuanian
LANGUAGE_NAMES: Dict[str, str] = {LT: "Lithuanian", EN: "English"}

# ------------------------------------------------------------------ human handoff

CUSTOMER_REQUEST = "customer_request"
FALLBACK = "fallback"
PRIORITY_SUPPORT = "priority_support"
PAYMENT_PROBLEM = "payment_problem"
HANDOFF_REASONS: Tuple[str, ...] = (CUSTOMER_REQUEST, FALLBACK, PRIORITY_SUPPORT, PAYMENT_PROBLEM)
# What an agent reads in the console ("Reason: ...").
HANDOFF_REASON_TITLES: Dict[str, str] = {
    CUSTOMER_REQUEST: "Asked for a person",
    FALLBACK: "Assistant did not understand",
    PRIORITY_SUPPORT: "Priority support",
    PAYMENT_PROBLEM: "Payment problem",
}
# The same titles in each language the console speaks (bot/core/console/texts/terms.py).
HANDOFF_REASON_TITLES_BY_LANGUAGE: Dict[str, Dict[str, str]] = {
    LT: {
        CUSTOMER_REQUEST: "Klientas paprašė žmogaus",
        FALLBACK: "Asistentas nesuprato",
        PRIORITY_SUPPORT: "Prioritetinė pagalba",
        PAYMENT_PROBLEM: "Mokėjimo problema",
    },
    EN: HANDOFF_REASON_TITLES,
}
# The reason in the escalation's first system note ("Handed over by the assistant: <note>.").
HANDOFF_REASON_NOTES: Dict[str, str] = {
    CUSTOMER_REQUEST: "the customer asked for a person",
    FALLBACK: "the assistant did not understand the customer",
    PRIORITY_SUPPORT: "priority support",
    PAYMENT_PROBLEM: "a payment problem",
}

# ------------------------------------------------------------------ intents

# what Rasa's FallbackClassifier predicts when the model is unsure (first in the ranking: not a guess)
FALLBACK_INTENT = "nlu_fallback"

# ------------------------------------------------------------------ slots

LANGUAGE_SLOT = "language"
SIGNED_IN_SLOT = "signed_in"
HANDOFF_REASON_SLOT = "handoff_reason"
REQUESTED_SLOT = "requested_slot"
DONT_KNOW_COUNT_SLOT = "dont_know_count"

# The slots each guided flow (form) fills or uses; all are forgotten when the flow ends early (stop, handoff).
FLOW_SLOTS: Dict[str, Tuple[str, ...]] = {
    "registration_form": ("vat_registered", "had_cps_account"),
    "migration_form": ("old_cps_email_given", "migration_count", "migrate_confirm", "migration_next_step"),
    "product_details_form": ("serial_number", "purchase_date", "country_of_purchase", "dealer", "product_id",
                             "product_name", "product_missing", "products_skipped", "invited_before"),
    "membership_form": ("tier", "payment_method", "order_confirmed", "tier_fees", "order_key"),
}

# ------------------------------------------------------------------ satisfaction (docs/analytics.md)

# The bot asks "Did this help?" once a conversation is resolved or an escalation closed; the answer and an optional
# comment are slots, which the core's analytics recorder reads from Rasa's events.
SATISFACTION_SLOT = "satisfaction"
SATISFACTION_COMMENT_SLOT = "satisfaction_comment"
HELPED = "helped"
NOT_HELPED = "not_helped"
SATISFACTION_ANSWERS: Tuple[str, ...] = (HELPED, NOT_HELPED)
SATISFACTION_ASKED_SLOT = "satisfaction_asked"  # true once the question was asked in the session (never twice)
# Slots of one session: a new session starts without them (bot/rasa_ext/session_start.py), so that each session
# is asked once and its answer is recorded with it alone.
SESSION_SLOTS: Tuple[str, ...] = (SATISFACTION_SLOT, SATISFACTION_COMMENT_SLOT, SATISFACTION_ASKED_SLOT)

# ------------------------------------------------------------------ message metadata (from the channels)

CUSTOMER_TOKEN_KEY = "customer_token"  # the signed token of a signed-in customer (the support site sends it)
# What Rasa's event broker publishes instead of the token: the token with its signature replaced by the signature's
# SHA-256 (hex), which the core can verify and nobody can use as a token (docs/analytics.md).
CUSTOMER_CLAIM_KEY = "customer_claim"
LANGUAGE_HINT_KEY = "language"  # a client's page language (the support page's widget sends it with each message)

# ------------------------------------------------------------------ customer messages

# The longest customer message the assistant reads, on every channel (docs/channels.md): a longer one is answered
# "please keep it shorter" (bot/rasa_ext/input_limits.py); the web chat's box stops at the same length.
MAX_MESSAGE_CHARACTERS = 2000
