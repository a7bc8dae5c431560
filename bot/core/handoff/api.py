"""The escalation routes of the service API (X-Service-Key), called by the action server (docs/handoff.md).

- `POST /escalations`: hand a conversation to the support team (201), or the open escalation it already has
  (200, nothing added).
- `GET /escalations/by-conversation/{conversation_id}`: the conversation's open escalation, or 404.
- `POST /escalations/by-conversation/{conversation_id}/deliveries`: the agents' undelivered replies, marked
  delivered (each to one caller only).
"""

from __future__ import annotations

from datetime import datetime

import jwt
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from bot.core.clock import as_utc
from bot.core.db.models import Escalation
from bot.core.deps import ConversationId, NowDep, SessionDep, require_service_key, settings_of
from bot.core.errors import ServiceError
from bot.core.handoff import schemas as hs
from bot.core.handoff import service
from bot.core.http_errors import problem_responses
from bot.core.tokens import decode_customer_token

router = APIRouter(prefix="/escalations", tags=["escalations"], dependencies=[Depends(require_service_key)])


def token_customer(token: str | None, secret: str) -> str | None:
    """The customer id of a valid token; None (an anonymous escalation, not an error) otherwise."""
    if not token:
        return None
    try:
        return decode_customer_token(token, secret)
    except jwt.InvalidTokenError:
        return None


def escalation_out(
    session: Session, escalation: Escalation, request: Request, now: datetime
) -> hs.EscalationOut:
    settings = settings_of(request).handoff
    position = service.queue_position(session, escalation)
    hours = service.hours_state(now, settings)
    return hs.EscalationOut(
        id=escalation.id,
        conversation_id=escalation.conversation_id,
        status=escalation.status,
        channel=escalation.channel,
        language=escalation.language,
        reason=escalation.reason,
        customer_verified=escalation.customer_id is not None,
        queue_position=position,
        estimated_wait_minutes=service.wait_minutes(position, settings),
        in_working_hours=hours.in_working_hours,
        next_opening=hours.next_opening,
        out_of_hours=escalation.out_of_hours,
        created_at=as_utc(escalation.created_at),
    )


@router.post(
    "",
    status_code=201,
    response_model=hs.EscalationOut,
    responses={**problem_responses(401, 422),
               200: {"model": hs.EscalationOut, "description": "The conversation's open escalation"}},
)
def create_escalation(
    body: hs.EscalationIn, request: Request, response: Response, session: SessionDep, now: NowDep
) -> hs.EscalationOut:
    """Hand the conversation to the support team: 201 with the queue position and wait, or the open
    escalation the conversation already has (200; the transcript is not added again)."""
    settings = settings_of(request)
    escalation, created = service.create_escalation(
        session,
        conversation_id=body.conversation_id,
        channel=body.channel,
        language=body.language,
        reason=body.reason,
        transcript=[service.TranscriptLine(t.sender, t.text, t.timestamp) for t in body.transcript],
        customer_id=token_customer(body.customer_token, settings.customer_token_secret),
        now=now,
        out_of_hours=not service.hours_state(now, settings.handoff).in_working_hours,
    )
    if not created:
        response.status_code = 200
    return escalation_out(session, escalation, request, now)


@router.get(
    "/by-conversation/{conversation_id:path}",
    response_model=hs.EscalationOut,
    responses=problem_responses(401, 422, 404),
)
def get_open_escalation(
    conversation_id: ConversationId, request: Request, session: SessionDep, now: NowDep
) -> hs.EscalationOut:
    """The conversation's escalation that is not closed (404 `no_open_escalation` when there is none)."""
    escalation = service.open_escalation(session, conversation_id)
    if escalation is None:
        raise ServiceError(404, "no_open_escalation", "The conversation is not handed to the team.")
    return escalation_out(session, escalation, request, now)


@router.post(
    "/by-conversation/{conversation_id:path}/deliveries",
    response_model=hs.Deliveries,
    responses=problem_responses(401, 422, 404),
)
def take_deliveries(conversation_id: ConversationId, session: SessionDep, now: NowDep) -> hs.Deliveries:
    """The agents' replies not delivered yet, oldest first, now marked delivered: two concurrent calls never
    both get a message. 404 `no_escalation` when the conversation was never handed over."""
    delivery = service.take_deliveries(session, conversation_id, now)
    return hs.Deliveries(
        escalation_id=delivery.escalation_id,
        status=delivery.status,
        language=delivery.language,
        messages=[hs.AgentMessageOut(id=i, text=t, agent_name=n) for i, t, n in delivery.messages],
    )
