"""Bodies of the escalation routes the action server calls (pydantic 2)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_serializer

from bot.conversation_ids import MAX_CONVERSATION_ID
from bot.vocabulary import HANDOFF_REASONS, LANGUAGES

Reason = Literal[HANDOFF_REASONS]  # type: ignore[valid-type]
Status = Literal["waiting", "claimed", "closed"]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
CONVERSATION_ID = r"^[^\x00]+$"
# the conversation and channel as the action server sends them (escalations, the fallback log)
ConversationId = Annotated[str, Field(min_length=1, max_length=MAX_CONVERSATION_ID, pattern=CONVERSATION_ID,
                                      description="Rasa's sender id")]
ChannelName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$",
                                   description="Rasa's input channel name, e.g. socketio, rest, whatsapp")]
MAX_TEXT = 10_000
MAX_TRANSCRIPT = 1_000


class TranscriptItem(BaseModel):
    sender: Literal["customer", "bot"]
    text: str = Field(max_length=MAX_TEXT)
    timestamp: float = Field(ge=0, le=1e11, allow_inf_nan=False,
                             description="the Rasa event's (unix seconds)")


class EscalationIn(BaseModel):
    """A conversation handed to the support team; the customer comes from the token, verified by the core."""

    conversation_id: ConversationId
    channel: ChannelName
    language: Language
    reason: Reason
    transcript: list[TranscriptItem] = Field(default_factory=list, max_length=MAX_TRANSCRIPT)
    customer_token: str | None = Field(default=None, max_length=4096,
                                       description="the customer_token of the message metadata, if any")


class EscalationOut(BaseModel):
    id: int
    conversation_id: str
    status: Status
    channel: str
    language: Language
    reason: Reason
    customer_verified: bool
    queue_position: int = Field(description="1-based among the waiting escalations, oldest first; 0 when not "
                                            "waiting")
    estimated_wait_minutes: int = Field(description="queue_position x the average handling time; 0 when not "
                                                    "waiting")
    in_working_hours: bool
    next_opening: datetime | None = Field(description="when the team is back (ISO 8601 with the team's UTC "
                                                      "offset); null while it works")
    out_of_hours: bool = Field(description="whether the escalation was created outside the support hours")
    created_at: datetime

    @field_serializer("next_opening")
    def _with_offset(self, value: datetime | None) -> str | None:
        # isoformat() always writes "+HH:MM" (pydantic writes "Z" for UTC, which Python 3.10 cannot parse)
        return value.isoformat() if value else None


class AgentMessageOut(BaseModel):
    id: int
    text: str
    agent_name: str


class Deliveries(BaseModel):
    """The agents' replies not delivered before: each is handed out once, to one caller."""

    escalation_id: int
    status: Status
    language: Language
    messages: list[AgentMessageOut]
