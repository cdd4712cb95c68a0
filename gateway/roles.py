"""Who calls the gateway: the roles a token may carry."""

from __future__ import annotations

OPERATOR = "operator"  # LTSA registration desk: register, departure and return, BPJS number
VERIFIER = "verifier"  # document desk: submissions, decisions, the desk queue
TRAINER = "trainer"  # orientation sessions and reintegration programmes
AGENCY = "agency"  # a partner agency: reads; writes only its answer on a case referred to it
WORKER = "worker"  # self-service: only the worker whose id is the token's ``sub``
ADMIN = "admin"  # everything, operations included, but the access log
DPO = "dpo"  # data protection officer: reads the access log, and nothing else
CASEWORKER = "caseworker"  # the complaints desk (pengaduan): protection cases
PLANNING = "planning"  # the planning office (Bappedalitbang): the monthly figures, and nothing else

# a village head's office (kantor desa/kelurahan), scoped to the village its token names
# (``village``, a Kemendagri code): acknowledges its residents' family permissions
VILLAGE = "village"

ROLES = (OPERATOR, VERIFIER, TRAINER, AGENCY, WORKER, ADMIN, DPO, CASEWORKER, PLANNING, VILLAGE)

# Staff who may read the records (everyone but a worker, who reads only their own). An agency
# reads only what its data-sharing agreement covers (gateway.agency_reads), and only on the
# routes that apply it; STAFF are the readers without agencies.
READERS = frozenset({OPERATOR, VERIFIER, TRAINER, AGENCY, ADMIN, CASEWORKER})
STAFF = READERS - {AGENCY}
DESK = frozenset({OPERATOR, ADMIN})
DOCUMENT_DESK = frozenset({VERIFIER, ADMIN})
PROGRAMMES = frozenset({TRAINER, ADMIN})
OPERATIONS = frozenset({ADMIN})
# the protection desk: the LTSA's desk files a case too; only caseworkers and the admin read and
# work on cases (a sensitive one: its caseworker and the admin, as the service decides)
CASE_FILERS = frozenset({CASEWORKER, OPERATOR, ADMIN})
CASEWORK = frozenset({CASEWORKER, ADMIN})
# Go-TKI's letters: the desk requests, issues and revokes; a village office reads and decides on
# its own residents' family permissions (the service scopes it)
LETTER_DESK = DESK
LETTER_READERS = DESK | {VILLAGE}
VILLAGE_OFFICE = frozenset({VILLAGE, ADMIN})  # the admin: for a village with no account yet
CONSOLE = frozenset({OPERATOR, ADMIN})  # the operators' console: queues, dead letters, health
PUBLIC = frozenset()  # no token needed
# the planning office's figures: counts by month, no one's record (docs/reporting.md)
REPORTS = frozenset({PLANNING, ADMIN})
# who read which worker's record: the admin's reads are audited too, so only the DPO reads it
AUDITORS = frozenset({DPO})
# who signs into the console: each sees the pages its role may read (``/ops/me``); the trainer
# the orientation's check-in at the door
CONSOLE_USERS = CONSOLE | CASEWORK | REPORTS | LETTER_READERS | PROGRAMMES

# Roles that see identity numbers masked and only the part of a worker their job needs.
MASKED = frozenset({AGENCY, TRAINER})
