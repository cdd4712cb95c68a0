"""How the agencies service shows what it keeps to operators and agencies: a webhook endpoint
(never its secrets), a notice (never whom it was mailed to), an agency's settings
(``domain.AgencySettings.view``)."""

from __future__ import annotations

import datetime as dt

from .domain import NOTICE_PENDING, Endpoint


def endpoint_view(endpoint: Endpoint, now: dt.datetime) -> dict:
    """An endpoint as shown to operators and agencies: never its secrets, only how many sign
    and until when the old one does."""
    return {
        "id": endpoint.id,
        "agency": endpoint.agency,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since.isoformat() if endpoint.failing_since else None,
        "secrets": [
            {"expires_at": s.expires_at.isoformat() if s.expires_at else None}
            for s in endpoint.secrets
            if s.valid(now)
        ],
    }


def notice_view(row) -> dict:
    """A notice as operators see it: never whom it was mailed to."""
    return {
        "id": row.id,
        "kind": row.kind,
        "agency": row.agency,
        "endpoint_id": row.endpoint_id,
        "subject": row.subject,
        "body": row.body,
        "created_at": row.created_at.isoformat(),
        "state": row.state,
        "attempts": row.attempts,
        "mailed_at": row.mailed_at.isoformat() if row.mailed_at else None,
        "next_attempt_at": row.next_attempt_at.isoformat()
        if row.next_attempt_at and row.state == NOTICE_PENDING
        else None,
        "last_error": row.last_error,
    }
