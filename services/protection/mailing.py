"""The protection service's door to its referral letters: the directory of bodies, the office's
letterhead, and the mail server the letters go out through, read from the configuration once.

``SMTP_URL`` is the platform's mail server (``pmi_common.mail``; the agencies service mails its
notices through it too), ``REFERRAL_FROM`` the desk's sender address and ``REFERRAL_REPLY_TO``
where bodies answer (the desk's inbox). Without ``SMTP_URL`` a letter with an address waits,
queued, and the console shows it waiting; the caseworker may print it meanwhile.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager

import structlog
from nameko.extensions import DependencyProvider

from pmi_common.letterhead import Letterhead
from pmi_common.mail import SmtpServer

from . import handlers, letters
from .directory import Directory

log = structlog.get_logger(__name__)
LEASE = dt.timedelta(minutes=5)  # a letter taken to be mailed, before another sender may take it
ROUND = 20


class LetterPost:
    def __init__(self, config: Mapping):
        self.directory = Directory.from_config(config)
        self.letterhead = Letterhead.from_config(config)
        url = config.get("SMTP_URL")
        self.server = SmtpServer.from_url(url) if url else None
        self.sender = config.get("REFERRAL_FROM") or "pengaduan@localhost"
        self.reply_to = config.get("REFERRAL_REPLY_TO") or None
        self.first_wait = dt.timedelta(seconds=float(config.get("REFERRAL_RETRY_SECONDS") or 30))

    def mail_due(
        self, transaction: Callable[[], AbstractContextManager], now: Callable[[], dt.datetime]
    ) -> int:
        """A round: each letter due mailed, and the outcome recorded in a transaction of its
        own (mailed: a step on the case; refused or down: tried again later). How many were
        mailed."""
        if self.server is None:
            return 0
        with transaction() as uow:
            due = uow.repository.letters_due(now(), LEASE, ROUND)
        mailed = 0
        for referral_id in due:
            with transaction() as uow:
                referral = uow.repository.referral(referral_id)
                case = uow.repository.get(referral.case_id)
                message = letters.mail(case, referral, self.sender, self.reply_to)
            try:
                self.server.send(message)
            except (smtplib.SMTPException, OSError) as exc:  # refused, down, timed out
                error = f"{type(exc).__name__}: {getattr(exc, 'smtp_code', '')}".rstrip(": ")
                with transaction() as uow:
                    uow.repository.referral(referral_id).mail_failed(error, now(), self.first_wait)
                log.warning("referral_letter_not_mailed", referral_id=referral_id, error=error)
                continue
            with transaction() as uow:
                handlers.letter_mailed(uow, referral_id, now(), message["Message-ID"])
            mailed += 1
            log.info("referral_letter_mailed", referral_id=referral_id)
        return mailed


class Post(DependencyProvider):
    def setup(self):
        self.post = LetterPost(self.container.config)

    def get_dependency(self, worker_ctx) -> LetterPost:
        return self.post
