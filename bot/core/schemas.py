"""Request and response bodies of the account API and the fallback log (pydantic 2); error bodies are
bot/core/errors.Problem."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.core.domain.rules import DocumentKind, PaymentMethod
from bot.core.handoff.schemas import ChannelName, ConversationId, Language

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Health(BaseModel):
    status: Literal["ok"]
    database: Literal["ok"]


class DocumentIn(BaseModel):
    kind: DocumentKind
    shows_company_name: bool = False
    shows_vat_number: bool = False
    shows_address: bool = False


class ApplicationIn(BaseModel):
    """A business account application; `country` is a name or code (Lithuanian or English)."""

    customer_id: str = Field(min_length=1, max_length=64)
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)
    company: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=80)
    vat_registered: bool
    documents: list[DocumentIn]
    old_cps_email: str | None = Field(default=None, pattern=EMAIL_PATTERN, max_length=254)


class ApplicationOut(BaseModel):
    customer_id: str
    company: str
    country: str
    status: Literal["submitted", "approved", "rejected"]
    submitted_at: datetime
    expected_approval_date: date
    can_set_password: bool
    old_cps_email_given: bool
    rejection_reason: str | None = None


class Points(BaseModel):
    balance: int
    invited: bool
    points_to_invitation: int
    pending_points: int = Field(description="points of products still missing details")


class TierOut(BaseModel):
    code: str
    name: str
    min_points: int
    annual_fee_eur: Decimal


class Tiers(BaseModel):
    balance: int
    invited: bool
    tiers: list[TierOut]


class ProductOut(BaseModel):
    id: int
    model: str
    name: str | None
    category: str | None
    serial_number: str | None
    purchase_date: date | None
    country_of_purchase: str | None
    dealer: str | None
    missing_fields: list[str]
    has_green_tick: bool
    points: int = Field(description="the catalogue points; counted in the balance once has_green_tick")


class Products(BaseModel):
    balance: int
    products: list[ProductOut]


class ProductPatch(BaseModel):
    """Details to fill in; omitted or null fields are left as they are."""

    model_config = ConfigDict(extra="forbid")
    serial_number: str | None = None
    purchase_date: str | None = Field(default=None, description="YYYY-MM-DD")
    country_of_purchase: str | None = None
    dealer: str | None = None


class ProductUpdated(BaseModel):
    product: ProductOut
    balance: int
    invited: bool


class Migration(BaseModel):
    available: bool
    count: int
    old_cps_email_given: bool


class MigrationDone(Migration):
    migrated: int
    balance: int


class MembershipOut(BaseModel):
    tier: str
    number: str
    status: Literal["active", "retired"]
    started_at: datetime


class CurrentMembership(BaseModel):
    membership: MembershipOut | None


class OrderIn(BaseModel):
    tier: str
    payment_method: PaymentMethod


class Invoice(BaseModel):
    issued_at: datetime
    due_date: date


class Payment(BaseModel):
    """Card: charged on the due date. Bank transfer: pay by the due date; local fees may apply."""

    method: PaymentMethod
    charged_on: date | None = None
    pay_by: date | None = None
    local_fees_may_apply: bool


class OrderOut(BaseModel):
    id: int
    tier: str
    annual_fee_eur: Decimal
    invoice: Invoice
    payment: Payment
    membership: MembershipOut
    previous_membership_number: str | None


# ------------------------------------------------------------------ the fallback log (POST /fallbacks)

MAX_FALLBACK_TEXT = 10_000  # accepted; the stored text is redacted and capped (services/fallbacks.py)
MAX_GUESSES = 3


class IntentGuess(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]+$")
    confidence: float = Field(ge=0, le=1, allow_inf_nan=False)


class FallbackIn(BaseModel):
    """A customer message the assistant did not understand (sent by the action server's fallback)."""

    conversation_id: ConversationId
    channel: ChannelName
    language: Language
    text: str = Field(min_length=1, max_length=MAX_FALLBACK_TEXT,
                      description="the customer's message as typed; the core redacts it before storing")
    top_intents: list[IntentGuess] = Field(default_factory=list, max_length=MAX_GUESSES,
                                           description="the model's best guesses (not nlu_fallback)")
    fallback_in_a_row: int = Field(ge=1, le=1_000_000,
                                   description="misunderstood messages in a row, this one included")


class FallbackOut(BaseModel):
    id: int
