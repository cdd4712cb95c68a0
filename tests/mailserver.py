"""A real SMTP server for notice tests: aiosmtpd in a process of its own on 127.0.0.1, keeping
every mail it accepts in a maildir the test reads with the standard library."""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
from email.message import Message
from pathlib import Path

from tests.helpers import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class MailServer:
    def __init__(self, directory: Path, port: int | None = None):
        self.port = port or free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: answers(self.port), message=f"the SMTP server on {self.port}")
        return self

    def messages(self) -> list[Message]:
        if not (self.directory / "new").exists():
            return []
        return list(mailbox.Maildir(self.directory, create=False))

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
