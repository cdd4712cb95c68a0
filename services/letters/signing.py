"""The office's electronic signature on its letters: PAdES (ETSI.CAdES.detached) with pyHanko, by
the office's certificate and key from the environment (``LETTER_SIGNING_CERT_FILE``,
``LETTER_SIGNING_KEY_FILE``, ``LETTER_SIGNING_KEY_PASSWORD``, PEM). Any PDF reader shows the
signature, and any change to the file after it breaks it.

In development with no certificate set, one is made on first use (a self-signed RSA certificate
named as a development one) and kept under the state directory, so letters made on a laptop
carry a signature a reader can check against it; production refuses to start without the
office's own (``settings_problem``)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fpdf import FPDF
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

CERT_FILE, KEY_FILE = "LETTER_SIGNING_CERT_FILE", "LETTER_SIGNING_KEY_FILE"
KEY_PASSWORD = "LETTER_SIGNING_KEY_PASSWORD"
DEVELOPMENT_NAME = "PMI letters (development, not for real letters)"
FIELD = "TandaTanganDinas"


@dataclass(frozen=True)
class OfficeSigner:
    """Signs a letter's PDF with the office's certificate."""

    certificate_pem: bytes
    key_pem: bytes
    password: bytes | None = None
    location: str = "Blitar"
    _signer: signers.SimpleSigner = field(init=False, repr=False, compare=False)
    _room: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # loaded once; a certificate or key that does not load is refused at start
        signer = signers.SimpleSigner(
            signing_cert=next(iter(load_certs_from_pemder_data(self.certificate_pem))),
            signing_key=load_private_key_from_pemder_data(self.key_pem, self.password),
            cert_registry=None,
        )
        object.__setattr__(self, "_signer", signer)
        # the room the signature takes in a letter, told to pyHanko up front: otherwise it signs
        # each letter twice, once with a dummy to measure it (half a letter's time). Measured
        # once on a blank page, as it is hex-encoded in the file, with room to spare.
        blank = FPDF()
        blank.add_page()
        signed = self._sign(bytes(blank.output()), "", room=None)
        measured = len(PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].pkcs7_content)
        object.__setattr__(self, "_room", 2 * measured + 2048)

    def sign(self, pdf: bytes, reason: str) -> bytes:
        return self._sign(pdf, reason, self._room)

    def _sign(self, pdf: bytes, reason: str, room: int | None) -> bytes:
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)),
            signers.PdfSignatureMetadata(
                field_name=FIELD,
                subfilter=SigSeedSubFilter.PADES,
                reason=reason,
                location=self.location,
            ),
            signer=self._signer,
            bytes_reserved=room,
        )
        return out.getvalue()


def settings_problem(config: dict, development: bool) -> str | None:
    """Why the letters service may not start with this configuration, or None."""
    given = [name for name in (CERT_FILE, KEY_FILE) if config.get(name)]
    if not given and development:
        return None
    if len(given) < 2:
        return (
            f"{CERT_FILE} and {KEY_FILE} must name the office's signing certificate and key "
            "(PEM): letters are signed electronically (`make secrets` makes a development pair)"
        )
    for name in (CERT_FILE, KEY_FILE):
        if not Path(config[name]).is_file():
            return f"{name} names no file: {config[name]}"
    return None


def office_signer(config: dict, state_dir: Path, development: bool) -> OfficeSigner:
    """The office's signer from the configuration; in development without one, the development
    certificate under ``state_dir`` (made on first use)."""
    problem = settings_problem(config, development)
    if problem:
        raise ValueError(problem)
    password = config.get(KEY_PASSWORD)
    location = config.get("LETTER_PLACE") or "Blitar"
    if config.get(CERT_FILE):
        return loaded_signer(
            Path(config[CERT_FILE]).read_bytes(),
            Path(config[KEY_FILE]).read_bytes(),
            password.encode() if password else None,
            location,
        )
    cert_pem, key_pem = development_pair(state_dir)
    return loaded_signer(cert_pem, key_pem, None, location)


@functools.lru_cache(maxsize=4)
def loaded_signer(
    certificate_pem: bytes, key_pem: bytes, password: bytes | None, location: str
) -> OfficeSigner:
    """A signer for a certificate and key, loaded once per process (loading one checks the key
    and signs a blank page to measure its signature: a quarter of a second)."""
    return OfficeSigner(certificate_pem, key_pem, password, location)


def development_pair(state_dir: Path) -> tuple[bytes, bytes]:
    """The development certificate and key (PEM) kept under ``state_dir`` in one file, made
    when absent; written whole under its name, so two processes starting at once each read a
    certificate with its own key."""
    kept = state_dir / "letters-signing.pem"
    if not kept.is_file():
        state_dir.mkdir(parents=True, exist_ok=True)
        cert_pem, key_pem = make_certificate(DEVELOPMENT_NAME)
        tmp = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        tmp.write_bytes(cert_pem + key_pem)
        os.chmod(tmp, 0o600)
        os.replace(tmp, kept)
    text = kept.read_bytes()
    marker = text.index(b"-----BEGIN PRIVATE KEY-----")
    return text[:marker], text[marker:]


def make_certificate(common_name: str, days: int = 3650) -> tuple[bytes, bytes]:
    """A self-signed certificate and its key (PEM) for signing documents."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Dinas Tenaga Kerja"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
