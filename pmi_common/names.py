"""The platform's names as plain constants: its processes, its event types (the routing keys) and
the business's codes. ``contract`` builds the event schemas on them; the domain modules import
them from here, which brings no marshmallow, nameko or SQLAlchemy with it."""

from __future__ import annotations

# Services (also the names of their nameko services and exchanges' prefixes)
REGISTRATION = "registration"
DOCUMENTS = "documents"
ORIENTATION = "orientation"
REINTEGRATION = "reintegration"
PROTECTION = "protection"  # the complaints desk (pengaduan): cases and their follow-up
NOTIFICATIONS = "notifications"  # tells workers by SMS, WhatsApp and e-mail
REPORTING = "reporting"  # the planning office's monthly figures, a read model of the events
GATEWAY = "gateway"
AGENCIES = "agencies"  # hands every event's published form to the agencies its agreements grant
LETTERS = "letters"  # Go-TKI: the family permission and the office's recommendations, verifiable
SERVICES = (
    REGISTRATION,
    DOCUMENTS,
    ORIENTATION,
    REINTEGRATION,
    PROTECTION,
    NOTIFICATIONS,
    REPORTING,
    LETTERS,
)

# Event types (routing keys)
WORKER_REGISTERED = "worker_registered"
WORKER_STATUS_CHANGED = "worker_status_changed"
WORKER_DEPARTED = "worker_departed"
WORKER_RETURNED = "worker_returned"
DOCUMENT_SUBMITTED = "document_submitted"
DOCUMENT_VERIFIED = "document_verified"
DOCUMENT_REJECTED = "document_rejected"
DOCUMENT_EXPIRED = "document_expired"
DOCUMENTS_COMPLETED = "documents_completed"
DOCUMENT_LAPSED_ABROAD = "document_lapsed_abroad"
DOCUMENT_EXPIRING = "document_expiring"
SESSION_SCHEDULED = "session_scheduled"
SESSION_CANCELLED = "session_cancelled"
ORIENTATION_ENROLLED = "orientation_enrolled"
ORIENTATION_RELEASED = "orientation_released"
ORIENTATION_COMPLETED = "orientation_completed"
PROGRAM_CREATED = "program_created"
REINTEGRATION_ENROLLED = "reintegration_enrolled"
REINTEGRATION_ROUND_RECORDED = "reintegration_round_recorded"
REINTEGRATION_COMPLETED = "reintegration_completed"
REINTEGRATION_FOLLOWED_UP = "reintegration_followed_up"
FAMILY_MEMBER_ADDED = "family_member_added"
FAMILY_MEMBER_CHANGED = "family_member_changed"
FAMILY_MEMBER_REMOVED = "family_member_removed"
CONTRACT_RECORDED = "contract_recorded"
CONTRACT_EXTENDED = "contract_extended"
EMPLOYER_CHANGED = "employer_changed"
RETURN_EXPECTED = "return_expected"
CONTRACT_ENDING = "contract_ending"
WORKER_DIED = "worker_died"
FORMER_WORKER_REGISTERED = "former_worker_registered"
NON_PROCEDURAL_WORKER_RECORDED = "non_procedural_worker_recorded"
CASE_OPENED = "case_opened"
CASE_ASSIGNED = "case_assigned"
CASE_STATUS_CHANGED = "case_status_changed"
CASE_RESOLVED = "case_resolved"
CASE_OUTCOME_RECORDED = "case_outcome_recorded"
CASE_LINKED = "case_linked"
CASE_REFERRED = "case_referred"
LETTER_REQUESTED = "letter_requested"
LETTER_ACKNOWLEDGED = "letter_acknowledged"
LETTER_ISSUED = "letter_issued"
LETTER_REVOKED = "letter_revoked"
NOTIFICATION_SENT = "notification_sent"
# how the notifications service reaches a person
NOTIFICATION_CHANNELS = ("sms", "whatsapp", "email")

# The business's codes
# ``repatriated``: brought home by the state (after a case abroad, a crisis, an evacuation)
RETURN_REASONS = ("contract_ended", "terminated", "deported", "sick", "repatriated", "other")
DOCUMENT_TYPES = (
    "marital_status_letter",
    "family_permission_letter",
    "competency_certificate",
    "health_certificate",
    "passport",
    "work_visa",
    "placement_agreement",
    "employment_contract",
)
# the documents a worker renews while abroad (at the embassy or consulate)
RENEWABLE_ABROAD = ("passport", "work_visa")
AUDIENCES = ("prospective", "returnee", "both")
PARTICIPANT_KINDS = ("prospective", "returnee")
# who a family member is to the worker
RELATIONS = (
    "spouse",
    "parent",
    "child",
    "sibling",
    "grandparent",
    "grandchild",
    "guardian",
    "other_relative",
    "other",
)
# the sector of a placement abroad (formal: a legal entity employs; informal: a household does)
SECTORS = ("formal", "informal")
# what a worker died of, as the desk records it (the certificate's words stay with the family)
DEATH_CAUSES = ("illness", "accident", "work_accident", "violence", "unknown", "other")
# who told the desk of a former worker's placement, or of a worker who left outside the procedure
INFORMATION_SOURCES = (
    "worker",
    "family",
    "placement_agency",
    "bp2mi_record",
    "village_office",
    "other",
)

# the protection desk's cases (pengaduan): who reported, how, what about, how urgent, how far
CASE_REPORTERS = ("worker", "family_member", "agency", "other")
CASE_CHANNELS = ("desk", "phone", "whatsapp", "app", "agency")
CASE_ASPECTS = ("economic", "social", "legal", "health")
CASE_TYPES = (
    "unpaid_wages",
    "excess_fees",
    "violence_abuse",
    "illness_injury",
    "detention_legal",
    "death",
    "lost_contact",
    "contract_violation",
    "documents_held",
    "trafficking",
    "wants_to_return",
    "other",
)
# seen only by the caseworker the case is assigned to and the admin
SENSITIVE_CASE_TYPES = ("violence_abuse", "trafficking")
CASE_URGENCIES = ("emergency", "high", "normal")  # most urgent first
# whom a case is referred to: BP3MI, an embassy or consulate (by destination country), the
# placement company, the police, a hospital, legal aid, or an agency onboarded on the platform
CASE_REFERRAL_KINDS = (
    "bp3mi",
    "embassy",
    "placement_company",
    "police",
    "hospital",
    "legal_aid",
    "agency",
)
# what an agency a case was referred to answers about it
CASE_AGENCY_ANSWERS = ("received", "in_progress", "resolved", "cannot_act")
# how a case ended; ``repatriated`` records the worker's return (reason ``repatriated``) and
# ``deceased_remains_repatriated`` the worker's death, when the case names a registered worker
CASE_OUTCOMES = (
    "wages_recovered",
    "returned_home",
    "repatriated",
    "medical_care",
    "legal_aid",
    "deceased_remains_repatriated",
    "reconciled",
    "closed_without_contact",
)
# what counts as acting on a case: its first move to one of these (the limit ``act_by``)
CASE_FIRST_ACTIONS = ("referred", "in_progress", "resolved")
CASE_STATUSES = (
    "received",
    "assessed",
    "referred",
    "in_progress",
    "resolved",
    "closed",
    "reopened",
)

# Go-TKI's letters: the family permission (acknowledged by the village head) and the office's
# recommendations for the passport (to immigration) and the police certificate (SKCK)
LETTER_TYPES = ("family_permission", "passport_recommendation", "skck_recommendation")
LETTER_STATUSES = ("requested", "acknowledged", "refused", "issued", "revoked")
# PAK CAMAT's follow-ups of a business started: how many months after the completion, and the
# business's monthly income in rupiah, by band (no amount: a band is what the desk can ask)
FOLLOW_UP_MONTHS = (6, 12)
INCOME_BANDS = ("none", "under_1m", "1m_to_3m", "3m_to_5m", "over_5m")
# what a village decides on a family permission
LETTER_DECISIONS = ("acknowledged", "refused")
# who may give a family permission (UU 18/2017 art. 13: the spouse, the parents or a guardian)
PERMISSION_RELATIONS = ("spouse", "parent", "guardian")
