"""The agencies service's mailer: mails each pending notice (``services.agencies.notices``) to the
agency's contact (its settings' ``contact_email``) and to the operators (``NOTICE_OPERATORS``), over
SMTP (``SMTP_URL``, ``pmi_common.mail``).

``SMTP_URL`` is ``smtp://[user:password@]host[:port]`` (``?starttls=true`` to upgrade the
connection first) or ``smtps://...`` (TLS from the start); ``NOTICE_FROM`` is the sender. Without
``SMTP_URL`` no mailer runs and notices wait, listed in the console. A mail the server does not
accept (it is down, it refuses) is tried again later, after ``NOTICE_RETRY_SECONDS`` (30)
doubling to an hour, until it is: nothing is lost. A notice with no address to go to is kept
as ``unaddressed``. The log names the notice, its kind and agency, never an address or a
password.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import structlog

from pmi_common.mail import SmtpServer
from services.agencies.notices import MAILED, UNADDRESSED, NoticeRepository
from services.agencies.settings import SettingsRepository

from .delivery import Rounds

log = structlog.get_logger(__name__)

LONGEST_RETRY_SECONDS = 3600.0
BATCH = 20


@dataclass(frozen=True)
class MailSettings:
    server: SmtpServer
    sender: str = "pmi-platform@localhost"
    operators: tuple[str, ...] = ()
    first_retry: float = 30.0  # seconds after a first failure; doubling to an hour

    @classmethod
    def from_config(cls, config: dict) -> MailSettings | None:
        """From ``SMTP_URL``, ``NOTICE_FROM`` and ``NOTICE_OPERATORS``; None without SMTP."""
        url = config.get("SMTP_URL")
        if not url:
            return None
        return cls(
            server=SmtpServer.from_url(url),
            sender=config.get("NOTICE_FROM") or cls.sender,
            operators=tuple(
                a.strip() for a in (config.get("NOTICE_OPERATORS") or "").split(",") if a.strip()
            ),
            first_retry=float(config.get("NOTICE_RETRY_SECONDS") or cls.first_retry),
        )


def retry_delay(attempts: int, first: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones."""
    return min(LONGEST_RETRY_SECONDS, first * 2 ** max(attempts - 1, 0))


class NoticeMailer(Rounds):
    retrying = "notice_mailer_retrying"

    def __init__(self, engine, settings: MailSettings):
        super().__init__()
        self.notices = NoticeRepository(engine)
        self.agencies = SettingsRepository(engine)
        self.settings = settings
        self.mailed_total = 0

    def one_round(self) -> int:
        now = dt.datetime.now(dt.UTC)
        done = 0
        for notice in self.notices.due(now, BATCH, dt.timedelta(seconds=60)):
            self.mail(notice, now)
            done += 1
        return done

    def recipients(self, notice) -> list[str]:
        contact = self.agencies.get(notice.agency).contact_email
        return list(dict.fromkeys(([contact] if contact else []) + list(self.settings.operators)))

    def mail(self, notice, now: dt.datetime) -> None:
        to = self.recipients(notice)
        if not to:
            self.notices.settle(
                notice.id,
                now,
                UNADDRESSED,
                error=("no address: set the agency's contact e-mail or NOTICE_OPERATORS"),
            )
            log.warning(
                "notice_unaddressed", notice=notice.id, kind=notice.kind, agency=notice.agency
            )
            return
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = ", ".join(to)
        message["Subject"] = notice.subject
        message["Message-ID"] = f"<notice-{notice.id}@pmi-platform>"  # the same on every try
        message.set_content(notice.body)
        try:
            self.send(message)
        except (smtplib.SMTPException, OSError) as exc:  # refused, down, timed out
            retry_at = now + dt.timedelta(
                seconds=retry_delay(notice.attempts + 1, self.settings.first_retry)
            )
            error = f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".rstrip(": ")
            self.notices.settle(notice.id, now, notice.state, error=error, retry_at=retry_at)
            log.warning(
                "notice_mail_failed",
                notice=notice.id,
                kind=notice.kind,
                agency=notice.agency,
                error=error,
                retry_at=retry_at.isoformat(),
            )
            return
        self.notices.settle(notice.id, now, MAILED)
        self.mailed_total += 1
        log.info(
            "notice_mailed",
            notice=notice.id,
            kind=notice.kind,
            agency=notice.agency,
            recipients=len(to),
        )

    def send(self, message: EmailMessage) -> None:
        self.settings.server.send(message)
