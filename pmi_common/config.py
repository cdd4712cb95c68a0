"""Configuration from the environment, in one place for every process of the platform."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

from .tls import amqp_ssl

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"
DEFAULT_GATEWAY_ADDRESS = "127.0.0.1:8000"
STATE_DIR = Path(os.environ.get("PMI_STATE_DIR", "var"))


# Every environment variable the platform reads, and what it is for (docs and compose are checked
# against this table).
ENVIRONMENT = {
    "AMQP_URI": "RabbitMQ connection URI",
    "DATABASE_URL": "this process's database (one service per container)",
    "REGISTRATION_DATABASE_URL": "the registration database when several services share an env",
    "DOCUMENTS_DATABASE_URL": "the documents database (same)",
    "ORIENTATION_DATABASE_URL": "the orientation database (same)",
    "REINTEGRATION_DATABASE_URL": "the reintegration database (same)",
    "PROTECTION_DATABASE_URL": "the protection desk's database (same)",
    "NOTIFICATIONS_DATABASE_URL": "the notifications service's database (same)",
    "REPORTING_DATABASE_URL": "the reporting service's database: the planning office's read "
    "model (same)",
    "LETTERS_DATABASE_URL": "the letters service's database (same)",
    "AGENCIES_DATABASE_URL": "the agencies service's database: agreements, disclosures, "
    "webhooks, notices (same)",
    "GATEWAY_DATABASE_URL": "the gateway database: idempotency keys, revocations, the access log "
    "(same)",
    "GATEWAY_ADDRESS": "host:port the gateway listens on",
    "JWT_SECRET": "HS256 secret of the gateway's bearer tokens",
    "JWT_ISSUER": "the iss every token must carry (pmi-lifecycle)",
    "JWT_AUDIENCE": "the aud every token must name (pmi-gateway)",
    "JWT_MAX_HOURS": "longest token lifetime by role, iat to exp (worker=720,*=12)",
    "JWT_LEEWAY_SECONDS": "clock leeway for exp and iat (30)",
    "CORS_ALLOWED_ORIGINS": "comma-separated origins whose browser apps may call the gateway",
    "RATE_LIMIT_PUBLIC": "requests per client address to a public route (60/minute)",
    "RATE_LIMIT_WRITES": "token-protected writes per subject (120/minute)",
    "RATE_LIMIT_WRITES_PER_ADDRESS": "token-protected writes per client address (1200/minute)",
    "RATE_LIMIT_SIGN_IN": "sign-in codes asked for in the worker's app, per NIK and per phone "
    "(5/15minutes)",
    "RATE_LIMIT_STORAGE": "where the gateway counts: memory:// or e.g. redis://host:6379",
    "FORWARDED_HOPS": "trusted proxies in front of the gateway, for X-Forwarded-For (0)",
    "PMI_ENV": "production (default: refuses default secrets) or development (`make run`, tests)",
    "NIK_DIGEST_KEY": "key of the NIK digest services compare identities with",
    "PSEUDONYM_KEY": "key of the pseudonyms staff appear under in what agencies receive "
    "(its own secret, never JWT_SECRET)",
    "WEBHOOK_SECRET_KEY": "key webhook signing secrets are encrypted with at rest (agencies; "
    "`pmi agency move-tables` seals any a gateway left readable with it)",
    "GATEWAY_CATALOG_URL": "the gateway's database, where the agencies service looks (its "
    "catalogue only: CONNECT, no table) for agency tables `pmi agency move-tables` has yet to "
    "move before it starts (unset: not checked)",
    "IDEMPOTENCY_ANSWER_KEY": "key the gateway and every service seal the answers they keep for "
    "Idempotency-Key retries with (AES-GCM, a key derived per process; its own secret)",
    "RPC_TIMEOUT": "seconds the gateway waits for a service",
    "IDEMPOTENCY_TTL": "seconds the gateway keeps the answer to a write sent with a key",
    "READ_CACHE_SECONDS": "how long the gateway may answer a read from memory (0: never)",
    "READINESS_TIMEOUT": "seconds each of the gateway's readiness checks (the broker, its "
    "database, each service) may take before it counts as down (2)",
    "REVOCATION_RECHECK_SECONDS": "how long a gateway remembers whether a token is revoked "
    "(0: asks at every request); a revocation elsewhere is refused within it",
    "REGISTRATION_READ_DATABASE_URL": "read-only connection to registration's database (its "
    "replica) for the gateway's worker reads; unset: over RPC",
    "REGISTRY_READER_PASSWORD": "the password of REGISTRATION_READ_DATABASE_URL's role when the "
    "URL carries none (from a Secret)",
    "AGENCIES_READ_DATABASE_URL": "read-only connection to the agencies database, for the "
    "gateway's check of an agency's agreement at each of its requests (required to serve "
    "agencies)",
    "AGREEMENTS_READER_PASSWORD": "the password of AGENCIES_READ_DATABASE_URL's role when the "
    "URL carries none (from a Secret)",
    "MAX_WORKERS": "concurrent workers per service process",
    "EVENT_RETRY_DELAYS": "comma-separated seconds between retries of a failed event",
    "EVENT_BATCH_SIZE": "most events a service applies in one transaction (50)",
    "EXPIRY_CHECK_SECONDS": "how often the documents service looks for expired documents",
    "DISTRICT_TIMEZONE": "IANA zone whose day is 'today' for ages and dates (Asia/Jakarta)",
    "DEPARTURE_HORIZON_DAYS": "how many days ahead a departure date may be recorded (90)",
    "CONTRACT_CHECK_SECONDS": "how often registration looks for contracts abroad ending soon "
    "(3600)",
    "CONTRACT_ENDING_NOTICE_DAYS": "how many days before a contract abroad ends its "
    "contract_ending is announced (60)",
    "RETENTION_INBOX_DAYS": "days an applied event's inbox row is kept (30)",
    "RETENTION_OUTBOX_DAYS": "days a published event stays in the outbox before the archive (30)",
    "RETENTION_BATCH": "rows per transaction of a retention run (5000)",
    "RETENTION_SECONDS": "how often each service runs retention (3600)",
    "METRICS_PORT": "port of a service's Prometheus metrics (0: off)",
    "RABBITMQ_MANAGEMENT_URL": "RabbitMQ management API, for the operators' command and console",
    "QUEUE_SAMPLE_SECONDS": "how often the gateway samples queue depths for the console (15)",
    "CONSOLE_REFRESH_SECONDS": "how often the console's page reads the gateway again (5)",
    "AMQP_CA_FILE": "CA that signs the broker's certificate, for an amqps:// AMQP_URI",
    "AMQP_CERT_FILE": "client certificate for the broker, when it asks for one",
    "AMQP_KEY_FILE": "the client certificate's key",
    "DATABASE_CA_FILE": "CA of the database's certificate: connections become sslmode=verify-full",
    "BROKER_USERS": "service=user pairs: each service's own broker user (unset: one shared user)",
    "BROKER_PASSWORD_<PROCESS>": "each process's broker password, for `pmi broker setup`",
    "LOG_LEVEL": "DEBUG, INFO, WARNING",
    "STARTUP_SECONDS": "how long a process waits for its broker and database at start",
    "PMI_STATE_DIR": "where SQLite files go when no database URL is given (default var/)",
    "WEBHOOK_ALLOWED_TARGETS": "networks or hosts webhooks may call although private, loopback "
    "or the platform's own (comma-separated; default none)",
    "WEBHOOK_ALLOW_HTTP": "true: webhooks may call plain http:// targets outside development "
    "(a test network only; logged as a warning)",
    "WEBHOOK_RETRY_SCHEDULE": "fixed delays between webhook attempts, e.g. 5s,5m,30m,2h "
    "(default: exponential backoff with jitter from 5 s to 6 h)",
    "WEBHOOK_RETRY_HORIZON": "seconds after which an undelivered webhook is given up (259200)",
    "WEBHOOK_DISABLE_AFTER": "seconds an endpoint may fail before it is disabled (432000)",
    "WEBHOOK_TIMEOUT": "seconds a webhook attempt may take, answer included (10)",
    "ASYNCAPI_URL": "the event catalogue's public URL, for webhooks' dataschema",
    "SMTP_URL": "the platform's mail server: the agencies service mails notices (an endpoint "
    "disabled) and the protection service referral letters through it: "
    "smtp://[user:pw@]host[:port][?starttls=true] or smtps://... (unset: both wait)",
    "NOTICE_FROM": "the sender of notices (pmi-platform@localhost)",
    "NOTICE_OPERATORS": "comma-separated operators' addresses every notice goes to as well",
    "NOTICE_RETRY_SECONDS": "seconds before a notice the mail server refused is tried again, "
    "doubling to an hour (30)",
    "NOTIFY_SMS_PROVIDER": "the notifications service's SMS provider: json (a generic JSON API) "
    "or twilio; unset: the local outbox, in development only",
    "NOTIFY_SMS_URL": "the SMS provider's address (json: the URL messages are POSTed to; "
    "twilio: https://api.twilio.com by default)",
    "NOTIFY_SMS_ACCOUNT": "the Twilio account SID (twilio only)",
    "NOTIFY_SMS_TOKEN": "the SMS provider's bearer token (json) or auth token (twilio)",
    "NOTIFY_TWILIO_INBOUND_URL": "the public URL Twilio calls with replies and status callbacks, "
    "as set at Twilio (https://.../api/v1/notifications/twilio): what its signature covers",
    "NOTIFY_SMS_SENDER": "the SMS sender id or number (twilio: a number, or a Messaging "
    "Service SID MG...)",
    "NOTIFY_WHATSAPP_PHONE_ID": "the WhatsApp Business Cloud API phone number id (unset: no "
    "WhatsApp)",
    "NOTIFY_WHATSAPP_TOKEN": "the WhatsApp Cloud API access token",
    "NOTIFY_WHATSAPP_TEMPLATE": "the approved WhatsApp template whose one body parameter is the "
    "message (pmi_notice)",
    "NOTIFY_WHATSAPP_URL": "the Graph API base (https://graph.facebook.com/v21.0)",
    "NOTIFY_SMTP_URL": "where the notifications service mails workers who chose e-mail: "
    "smtp://[user:pw@]host[:port][?starttls=true] or smtps://... (unset: no e-mail)",
    "NOTIFY_EMAIL_FROM": "the sender of e-mailed messages (pmi@localhost)",
    "NOTIFY_INBOUND_SECRET": "the key replies (BERHENTI, STOP) are HMAC-signed with by the "
    "provider's relay",
    "NOTIFY_DESK": "the desk messages send workers to (LTSA PMI)",
    "NOTIFY_DAILY_CAP": "most messages a person gets in a day; sign-in codes aside (3)",
    "NOTIFY_SEND_SECONDS": "how often the notifications service sends what is due (2)",
    "NOTIFY_COST_SMS": "what an SMS segment costs the office, in rupiah, for the month's "
    "budget figures (0)",
    "NOTIFY_COST_WHATSAPP": "what a WhatsApp template message costs, in rupiah (0)",
    "NOTIFY_COST_EMAIL": "what an e-mailed message costs, in rupiah (0)",
    "NOTIFY_REMINDER_SECONDS": "how often the notifications service looks for tomorrow's OPP "
    "sessions to remind their enrolled workers of (600)",
    "NOTIFY_RETRY_DELAYS": "comma-separated seconds between a message's attempts, the last "
    "repeated (30,60,300,900,3600)",
    "NOTIFY_HTTP_TIMEOUT": "seconds an SMS or WhatsApp provider may take to answer (10)",
    "LETTER_SIGNING_CERT_FILE": "the office's certificate its letters are signed with (PEM; "
    "required in production; development makes one under PMI_STATE_DIR)",
    "LETTER_SIGNING_KEY_FILE": "the signing certificate's private key (PEM)",
    "LETTER_SIGNING_KEY_PASSWORD": "the key's password, if it has one",
    "LETTER_NUMBER_FORMAT": "the office's letter numbers, with {seq}, {type} and {year} "
    "(560/{seq}/{type}/409.112/{year})",
    "LETTER_LETTERHEAD": "the letterhead's lines, separated by | (PEMERINTAH KABUPATEN "
    "BLITAR|DINAS TENAGA KERJA|...)",
    "LETTER_PLACE": "where letters are signed (Blitar)",
    "LETTER_SIGNATORY": "who signs letters (Kepala Dinas Tenaga Kerja)",
    "LETTER_VERIFY_URL": "the public address letters' QR codes point to, /verify/{code} "
    "appended (http://GATEWAY_ADDRESS)",
    "REFERRAL_DIRECTORY": "the bodies outside the platform cases are referred to, with their "
    "e-mail addresses: a JSON list of {kind, name, country, email}, inline or in the file named "
    "(unset: every letter is printed; embassies are known by name)",
    "REFERRAL_FROM": "the sender of referral letters (pengaduan@localhost)",
    "REFERRAL_REPLY_TO": "where bodies answer a referral letter (the desk's inbox)",
    "REFERRAL_MAIL_SECONDS": "how often the protection service mails the referral letters due (10)",
    "REFERRAL_RETRY_SECONDS": "seconds before a referral letter the mail server did not take is "
    "tried again, doubling to an hour (30)",
}

NOTIFY_SETTINGS = tuple(name for name in ENVIRONMENT if name.startswith("NOTIFY_"))

LETTER_SETTINGS = tuple(name for name in ENVIRONMENT if name.startswith("LETTER_"))

# the protection service's referral letters: its letterhead is the letters service's
REFERRAL_SETTINGS = (
    "SMTP_URL",
    "REFERRAL_DIRECTORY",
    "REFERRAL_FROM",
    "REFERRAL_REPLY_TO",
    "REFERRAL_MAIL_SECONDS",
    "REFERRAL_RETRY_SECONDS",
    "LETTER_LETTERHEAD",
    "LETTER_PLACE",
    "LETTER_SIGNATORY",
)

WEBHOOK_SETTINGS = (
    "WEBHOOK_ALLOWED_TARGETS",
    "WEBHOOK_ALLOW_HTTP",
    "WEBHOOK_RETRY_SCHEDULE",
    "WEBHOOK_RETRY_HORIZON",
    "WEBHOOK_DISABLE_AFTER",
    "WEBHOOK_TIMEOUT",
    "ASYNCAPI_URL",
    "SMTP_URL",
    "NOTICE_FROM",
    "NOTICE_OPERATORS",
    "NOTICE_RETRY_SECONDS",
)


def amqp_uri() -> str:
    return os.environ.get("AMQP_URI", DEFAULT_AMQP_URI)


def from_a_random_node(uri: str, rng: random.Random | None = None) -> str:
    """A failover list (``amqp://…node1/pmi;amqp://…node2/pmi;…``) begun at one of its nodes
    chosen at random, the others following in their order. kombu connects to a list's first URI
    and moves on only when that node does not answer, and every new connection begins at the
    first again: processes given the same list would all hold their connections on the first
    node, move them all to the next when it stops, and bring them back as they reconnect once it
    runs again. Begun at random, a cluster's processes spread over its nodes, as a load balancer
    in front of them would spread them, and each still fails over through every node."""
    uris = uri.split(";")
    start = (rng or random).randrange(len(uris))
    return ";".join(uris[start:] + uris[:start])


def management_url() -> str:
    return os.environ.get("RABBITMQ_MANAGEMENT_URL", DEFAULT_MANAGEMENT_URL)


def database_url(service: str) -> str:
    """``<SERVICE>_DATABASE_URL`` (several services in one environment), then ``DATABASE_URL``
    (one service per container), then a SQLite file under ``var/`` for a quick local run
    (refused in production: ``production.database_problem``)."""
    specific = os.environ.get(f"{service.upper()}_DATABASE_URL")
    if specific:
        return specific
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{STATE_DIR / (service + '.db')}"


def service_config(service: str) -> dict:
    """The nameko config dict for one service process."""
    uri = from_a_random_node(amqp_uri())  # one node of a cluster's list per process
    config: dict[str, Any] = {
        "AMQP_URI": uri,
        "AMQP_SSL": amqp_ssl(uri),  # nameko's own connections; None for amqp://
        "DATABASE_URL": database_url(service),
        # the gateway mostly waits on RPC replies: it needs more concurrent workers
        "max_workers": int(os.environ.get("MAX_WORKERS", "50" if service == "gateway" else "10")),
        "serializer": "json",
        "RPC_TIMEOUT": float(os.environ.get("RPC_TIMEOUT", "10")),
        "PMI_ENV": os.environ.get("PMI_ENV", "production"),
        # every process seals the answers it keeps for keyed commands (pmi_common.kept_answers)
        "IDEMPOTENCY_ANSWER_KEY": os.environ.get("IDEMPOTENCY_ANSWER_KEY", ""),
    }
    if os.environ.get("BROKER_USERS"):
        config["BROKER_USERS"] = os.environ["BROKER_USERS"]
    if os.environ.get("EVENT_RETRY_DELAYS"):
        config["EVENT_RETRY_DELAYS"] = tuple(
            float(x) for x in os.environ["EVENT_RETRY_DELAYS"].split(",")
        )
    for key in (
        "METRICS_PORT",
        "EXPIRY_CHECK_SECONDS",
        "EVENT_BATCH_SIZE",
        "DEPARTURE_HORIZON_DAYS",
        "CONTRACT_CHECK_SECONDS",
        "CONTRACT_ENDING_NOTICE_DAYS",
        "RETENTION_BATCH",
        "RETENTION_SECONDS",
    ):
        if os.environ.get(key):
            config[key] = int(os.environ[key])
    for key in ("RETENTION_INBOX_DAYS", "RETENTION_OUTBOX_DAYS", "IDEMPOTENCY_TTL"):
        if os.environ.get(key):
            config[key] = float(os.environ[key])
    if os.environ.get("DISTRICT_TIMEZONE"):
        config["DISTRICT_TIMEZONE"] = os.environ["DISTRICT_TIMEZONE"]
    if service in ("gateway", "agencies"):
        config["PSEUDONYM_KEY"] = os.environ.get("PSEUDONYM_KEY", "")
        config["JWT_SECRET"] = os.environ.get("JWT_SECRET", "")
    if service == "notifications":
        config.update({key: os.environ[key] for key in NOTIFY_SETTINGS if os.environ.get(key)})
    if service == "letters":
        config.update({key: os.environ[key] for key in LETTER_SETTINGS if os.environ.get(key)})
        config["GATEWAY_ADDRESS"] = os.environ.get("GATEWAY_ADDRESS", DEFAULT_GATEWAY_ADDRESS)
    if service == "protection":
        config.update({key: os.environ[key] for key in REFERRAL_SETTINGS if os.environ.get(key)})
    if service == "agencies":
        config["WEBHOOK_SECRET_KEY"] = os.environ.get("WEBHOOK_SECRET_KEY", "")
        if os.environ.get("GATEWAY_CATALOG_URL"):
            config["GATEWAY_CATALOG_URL"] = os.environ["GATEWAY_CATALOG_URL"]
        config.update({key: os.environ[key] for key in WEBHOOK_SETTINGS if os.environ.get(key)})
        config["RABBITMQ_MANAGEMENT_URL"] = management_url()
        config["GATEWAY_ADDRESS"] = os.environ.get("GATEWAY_ADDRESS", DEFAULT_GATEWAY_ADDRESS)
    if service == "gateway":
        config["WEB_SERVER_ADDRESS"] = os.environ.get("GATEWAY_ADDRESS", DEFAULT_GATEWAY_ADDRESS)
        for key in (
            "JWT_ISSUER",
            "JWT_AUDIENCE",
            "JWT_MAX_HOURS",
            "JWT_LEEWAY_SECONDS",
            "CORS_ALLOWED_ORIGINS",
            "RATE_LIMIT_PUBLIC",
            "RATE_LIMIT_WRITES",
            "RATE_LIMIT_WRITES_PER_ADDRESS",
            "RATE_LIMIT_SIGN_IN",
            "RATE_LIMIT_STORAGE",
            "FORWARDED_HOPS",
        ):
            if os.environ.get(key):
                config[key] = os.environ[key]
        config["RABBITMQ_MANAGEMENT_URL"] = management_url()
        config["QUEUE_SAMPLE_SECONDS"] = float(os.environ.get("QUEUE_SAMPLE_SECONDS", "15"))
        config["CONSOLE_REFRESH_SECONDS"] = float(os.environ.get("CONSOLE_REFRESH_SECONDS", "5"))
        config["READ_CACHE_SECONDS"] = float(os.environ.get("READ_CACHE_SECONDS", "2"))
        config["READINESS_TIMEOUT"] = float(os.environ.get("READINESS_TIMEOUT", "2"))
        config["REVOCATION_RECHECK_SECONDS"] = float(
            os.environ.get("REVOCATION_RECHECK_SECONDS", "1")
        )
        if os.environ.get("REGISTRATION_READ_DATABASE_URL"):  # registration's reads, read-only
            config["REGISTRATION_READ_DATABASE_URL"] = os.environ["REGISTRATION_READ_DATABASE_URL"]
            if os.environ.get("REGISTRY_READER_PASSWORD"):
                config["REGISTRY_READER_PASSWORD"] = os.environ["REGISTRY_READER_PASSWORD"]
        for key in ("AGENCIES_READ_DATABASE_URL", "AGREEMENTS_READER_PASSWORD"):
            if os.environ.get(key):  # agencies' agreements, read-only
                config[key] = os.environ[key]
        if "AGENCIES_READ_DATABASE_URL" not in config and config["PMI_ENV"] == "development":
            config["AGENCIES_READ_DATABASE_URL"] = database_url("agencies")  # `make run`
        config["IDEMPOTENCY_TTL"] = float(os.environ.get("IDEMPOTENCY_TTL", "86400"))
        for key in ("WEBHOOK_ALLOWED_TARGETS", "WEBHOOK_ALLOW_HTTP"):  # endpoints added here
            if os.environ.get(key):
                config[key] = os.environ[key]
    return config
