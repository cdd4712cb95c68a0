"""Scanned files the platform accepts (a document's scan at the documents desk, an attachment
to a protection case): a PDF, JPEG or PNG, judged by its content, within a size limit."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

MAX_FILE_BYTES = 5 * 1024 * 1024
# What the content starts with, not what the file is called.
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


class BadFile(ValueError):
    """A scan the platform does not accept, with the reason."""


@dataclass(frozen=True)
class ScannedFile:
    content: bytes
    media_type: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def sniff_media_type(content: bytes) -> str | None:
    for signature, media_type in SIGNATURES:
        if content.startswith(signature):
            return media_type
    return None


def read_scan(content_base64: str, max_bytes: int = MAX_FILE_BYTES) -> ScannedFile:
    """Decode a base64 scan and accept it only as a PDF, JPEG or PNG within the size limit."""
    if len(content_base64) > (max_bytes + 2) // 3 * 4 + 4:
        raise BadFile(f"is larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        content = base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadFile("content_base64 is not valid base64") from exc
    if not content:
        raise BadFile("is empty")
    if len(content) > max_bytes:
        raise BadFile(f"is larger than {max_bytes // (1024 * 1024)} MiB")
    media_type = sniff_media_type(content)
    if media_type is None:
        raise BadFile("must be a PDF, JPEG or PNG (judged by its content, not its name)")
    return ScannedFile(content, media_type, hashlib.sha256(content).hexdigest())
