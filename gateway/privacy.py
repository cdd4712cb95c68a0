"""What of a worker each role sees: for the roles that only need to know who someone is and
where they stand, an allow-list per route.

Staff who act on a worker's record (operator, verifier, admin) and the worker themself see it
whole. Roles that need less (agency, trainer: ``roles.MASKED``) and anonymous callers (the public
certificate check) see, of each answer, only the keys listed here for its route, at every level:
a key nobody listed (a new field, a family member's name in a timeline entry, a death's cause,
an employer) is dropped, never passed on. Identity numbers are masked; a timeline entry's
``details`` are listed per event type (a trainer sees what happened and when, not the family's
names, phones or villages, nor health data). An agency's worker answers are first built from its
agreement's grants (``agency_reads``); the lists it gets here are what any agreement can
grant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pmi_common import contract as c
from pmi_common.identity import mask_nik, mask_number
from pmi_common.published import PUBLISHED

from .agency_reads import REGENCY_GRANT, TIMELINE_STATUS_FIELDS, WORKER_RECORD_GRANTS
from .roles import AGENCY, MASKED

MASKS: dict[str, Callable[[str], str]] = {
    "nik": mask_nik,
    "nik_presented": mask_nik,
    "number": mask_number,
    "document_number": mask_number,
    "passport_number": mask_number,
    "bpjs_number": mask_number,
}


class _Leaf:
    """A scalar, or a list of scalars, passed (masked if the key names an identity number);
    anything else where a leaf is listed (an object) is dropped."""

    def __repr__(self) -> str:
        return "PASS"


class _Counts:
    """Counts by whatever dimension (a regency, a status): numbers, and objects of numbers."""

    def __repr__(self) -> str:
        return "COUNTS"


PASS = _Leaf()
COUNTS = _Counts()


@dataclass(frozen=True)
class Chosen:
    """An object whose allowed keys depend on the object itself (a timeline entry: its event
    type)."""

    choose: Callable[[dict], Mapping[str, Any]]


@dataclass(frozen=True)
class Shortened:
    """A leaf shown through a function (a status reason: its kind, not the words after it)."""

    show: Callable[[Any], Any]


Spec = Mapping[str, Any]  # key -> PASS, COUNTS, Chosen, Shortened or a nested Spec


def _listed(*names: str) -> dict[str, Any]:
    return dict.fromkeys(names, PASS)


# registration ---------------------------------------------------------------------------------

ADDRESS: Spec = _listed("regency", "province")
WORKER: Spec = {
    **_listed(
        "id",
        "nik",
        "full_name",
        "sex",
        "destination_country",
        "occupation",
        "placement_agency",
        "bpjs_number",
        "cycle",
        "status",
        "stage",
        "documents_complete",
        "orientation_completed",
        "departed_on",
        "contract_starts_on",
        "contract_ends_on",
        "sector",
        "expected_return_on",
        "returned_on",
        "died_on",
        "non_procedural",
        "registered_at",
        "updated_at",
    ),
    "address": ADDRESS,
    # a former worker's placement: where and when, not the employer nor who told
    "past_placement": _listed("country", "from_year", "to_year"),
}
WORKER_PAGE: Spec = {"items": WORKER, "next_cursor": PASS}


def reason_kind(reason: Any) -> Any:
    """A status reason's kind (``died``, ``returned``, ``withdrawn``): the words after it (a
    cause of death, why someone came home) are not for every reader."""
    return reason.split(":", 1)[0] if isinstance(reason, str) else None


# What a trainer sees of a timeline entry's details, per event type: what happened and when.
# A type not listed shows no details.
TIMELINE_DETAILS: dict[str, Spec] = {
    c.WORKER_REGISTERED: _listed("cycle"),
    c.WORKER_STATUS_CHANGED: {"caused_by": _listed("event_id", "event_type", "source")},
    c.WORKER_DEPARTED: _listed("departed_on", "destination_country"),
    c.WORKER_RETURNED: _listed("returned_on"),
    c.CONTRACT_RECORDED: _listed(
        "occupation", "sector", "starts_on", "ends_on", "expected_return_on"
    ),
    c.CONTRACT_EXTENDED: _listed("previous_ends_on", "ends_on"),
    c.EMPLOYER_CHANGED: _listed("changed_on", "occupation", "sector"),
    c.RETURN_EXPECTED: _listed("expected_return_on"),
    c.WORKER_DIED: _listed("died_on"),
    c.FORMER_WORKER_REGISTERED: _listed("country", "from_year", "to_year", "occupation"),
    c.NON_PROCEDURAL_WORKER_RECORDED: _listed("country", "left_on", "occupation"),
    c.DOCUMENT_SUBMITTED: _listed("document_type", "document_id"),
    c.DOCUMENT_VERIFIED: _listed("document_type", "document_id"),
    c.DOCUMENT_REJECTED: _listed("document_type", "document_id"),
    c.DOCUMENT_EXPIRED: _listed("document_type", "document_id", "expired_on"),
    c.ORIENTATION_ENROLLED: _listed("session_id", "starts_at"),
    c.ORIENTATION_RELEASED: _listed("session_id"),
    c.ORIENTATION_COMPLETED: _listed("session_id", "certificate_number"),
    c.REINTEGRATION_ENROLLED: _listed("program_id", "participant_kind"),
    c.REINTEGRATION_ROUND_RECORDED: _listed(
        "program_id", "participant_kind", "round", "advanced", "score"
    ),
    c.REINTEGRATION_COMPLETED: _listed(
        "program_id",
        "participant_kind",
        "business_started",
        "business_name",
        "sector",
        "regency",
        "awarded",
    ),
    # the family's events (added, changed, removed) and the BPJS number: that it happened only
}
TIMELINE_ENTRY: Spec = {
    **_listed("occurred_at", "cycle", "event_type", "source", "event_id"),
    **_listed("from_status", "to_status", "stage"),
    "reason": Shortened(reason_kind),
    "actor": _listed("role", "agency"),
}
TIMELINE = Chosen(
    lambda entry: {
        **TIMELINE_ENTRY,
        "details": TIMELINE_DETAILS.get(entry.get("event_type") or "", {}),
    }
)

# An agency reads a worker and a timeline as its agreement grants them (``agency_reads``,
# applied first): here, what any agreement can grant, and nothing else.
AGENCY_WORKER: Spec = {
    "id": PASS,
    **_listed(*WORKER_RECORD_GRANTS),
    "address": _listed(REGENCY_GRANT[1]),
}
AGENCY_TIMELINE = Chosen(
    lambda entry: {
        **_listed("occurred_at", "event_type", "source", "event_id", *TIMELINE_STATUS_FIELDS),
        "actor": _listed("role", "agency", "subject"),
        "details": _listed(*getattr(PUBLISHED.get(entry.get("event_type") or ""), "fields", ())),
    }
)

STATS: Spec = {
    "workers": COUNTS,
    "documents_desk": {
        "backlog": COUNTS,
        "by_type": COUNTS,
        **_listed(
            "oldest_waiting_since",
            "decisions",
            "median_decision_seconds",
            "p90_decision_seconds",
            "window_days",
        ),
    },
    "reintegration": COUNTS,
    **_listed("unavailable", "recruits_of", "smallest_count_shown"),
}

# documents ------------------------------------------------------------------------------------

# not the scan's digest, nor the desk's note or who decided
DOCUMENT: Spec = _listed(
    "id",
    "worker_id",
    "type",
    "number",
    "issued_on",
    "expires_on",
    "status",
    "reason",
    "submitted_at",
    "decided_at",
    "replaces",
    "replaced_by",
)
CHECKLIST: Spec = {
    **_listed("worker_id", "complete"),
    "items": {"type": PASS, "status": PASS, "document": DOCUMENT},
}

# orientation ----------------------------------------------------------------------------------

SESSION: Spec = _listed(
    "id",
    "starts_at",
    "location",
    "capacity",
    "topics",
    "enrolled",
    "seats_left",
    "status",
    "cancelled_reason",
)
# the ticket: the opaque code the trainer reads from the QR at the door
ENROLMENT: Spec = _listed("session_id", "worker_id", "status", "enrolled_at", "ticket")
COMPLETION: Spec = _listed("worker_id", "session_id", "certificate_number", "completed_at")
CERTIFICATE: Spec = {
    **_listed("valid", "certificate_number", "holder_initials", "completed_at"),
    "session": _listed("id", "starts_at", "location"),
}

# reintegration --------------------------------------------------------------------------------

PROGRAM: Spec = {
    **_listed(
        "id", "name", "audience", "capacity", "starts_on", "enrolled", "seats_left", "status"
    ),
    "rounds": _listed("name", "advance"),
}
PROGRAM_STATS: Spec = {
    **_listed("program_id", "enrolled", "completed", "businesses_started", "awarded"),
    "rounds": _listed("name", "advance", "recorded", "advanced"),
}
PARTICIPANT: Spec = {
    **_listed("program_id", "worker_id", "participant_kind", "status", "enrolled_at", "awarded"),
    "results": _listed("round", "name", "advanced", "score", "note", "recorded_at"),
    "outcome": _listed("business_started", "business_name", "sector", "regency", "completed_at"),
    "follow_ups": _listed(
        "months", "business_running", "income_band", "migrated_again", "recorded_at"
    ),
}
INVITATIONS: Spec = {**_listed("worker_id", "kind", "due_home_on", "note"), "programs": PROGRAM}


def _page(spec: Spec) -> Spec:
    return {"items": spec, "next_cursor": PASS}


# Every personal route a masked role or an anonymous caller may call, with what it may see of
# the answer (a unit test holds this table to the role table).
VIEWS: dict[str, Spec | Chosen] = {
    "list_workers": WORKER_PAGE,
    "get_worker": WORKER,
    "get_timeline": TIMELINE,
    "contracts_ending": WORKER_PAGE,
    "get_stats": STATS,
    "get_checklist": CHECKLIST,
    "get_document": DOCUMENT,
    "schedule_session": SESSION,
    "list_sessions": _page(SESSION),
    "get_session": SESSION,
    "cancel_session": SESSION,
    "enrol_worker": ENROLMENT,
    "record_attendance": COMPLETION,
    "verify_certificate": CERTIFICATE,
    "create_program": PROGRAM,
    "list_programs": _page(PROGRAM),
    "get_program": PROGRAM,
    "program_stats": PROGRAM_STATS,
    "enrol_participant": PARTICIPANT,
    "record_round_result": PARTICIPANT,
    "complete_participant": PARTICIPANT,
    "record_follow_up": PARTICIPANT,
    "invitations": INVITATIONS,
    "join_program": PARTICIPANT,
}
# where an agency's view differs: the answers its agreement shapes
AGENCY_VIEWS: dict[str, Spec | Chosen] = {
    "list_workers": _page(AGENCY_WORKER),
    "get_worker": AGENCY_WORKER,
    "get_timeline": AGENCY_TIMELINE,
}


class NoView(LookupError):
    """A masked role or an anonymous caller reached a personal route nobody listed a view for."""


def needs_shaping(role: str | None) -> bool:
    return role is None or role in MASKED


def view_for(route: str, role: str | None) -> Spec | Chosen:
    views = {**VIEWS, **AGENCY_VIEWS} if role == AGENCY else VIEWS
    try:
        return views[route]
    except KeyError:
        raise NoView(f"no view of {route} is listed for the {role or 'anonymous'} caller") from None


def shape(value: Any, role: str | None, route: str) -> Any:
    """``value``, the answer of ``route``, as ``role`` may see it (None: an anonymous caller)."""
    if not needs_shaping(role):
        return value
    return allowed(value, view_for(route, role))


_DROP = object()
_SCALARS = (str, int, float, bool, type(None))


def allowed(value: Any, spec: Any, key: str | None = None) -> Any:
    """Of ``value``, only what ``spec`` lists (a list: each of its items); ``None`` where an
    object is listed but something else came."""
    shown = _allowed(value, spec, key)
    return None if shown is _DROP else shown


def _allowed(value: Any, spec: Any, key: str | None) -> Any:
    if isinstance(value, list) and not isinstance(spec, _Leaf | Shortened):
        return [shown for item in value if (shown := _allowed(item, spec, key)) is not _DROP]
    if spec is PASS:
        return _leaf(value, key)
    if spec is COUNTS:
        return _counts(value)
    if isinstance(spec, Shortened):
        return spec.show(value)
    if value is None:
        return None
    if not isinstance(value, dict):
        return _DROP
    if isinstance(spec, Chosen):
        spec = spec.choose(value)
    return {
        k: shown
        for k, v in value.items()
        if k in spec and (shown := _allowed(v, spec[k], k)) is not _DROP
    }


def _leaf(value: Any, key: str | None) -> Any:
    if isinstance(value, list):
        return value if all(isinstance(item, _SCALARS) for item in value) else _DROP
    if isinstance(value, str) and key in MASKS:
        return MASKS[key](value)
    return value if isinstance(value, _SCALARS) else _DROP


def _counts(value: Any) -> Any:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    if isinstance(value, dict):
        return {
            k: shown
            for k, v in value.items()
            if isinstance(k, str) and (shown := _counts(v)) is not _DROP
        }
    return _DROP
