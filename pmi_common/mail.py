"""Mail out over SMTP with the standard library's ``smtplib``: the server a service is given as
``smtp://[user:password@]host[:port]`` (``?starttls=true`` to upgrade the connection first) or
``smtps://...`` (TLS from the start). The agencies service mails its notices with it, the
protection service its referral letters."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool = False  # TLS from the start (smtps)
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str, setting: str = "SMTP_URL", timeout: float = 10.0) -> SmtpServer:
        """The server ``url`` names (read from the configuration's ``setting``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"{setting} is smtp://[user:password@]host[:port] or smtps://...")
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            timeout=timeout,
        )

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; ``smtplib.SMTPException`` or ``OSError`` when it is
        down, times out or refuses."""
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(message)
