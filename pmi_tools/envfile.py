"""``make secrets``: the env file docker compose reads (``.env``), every secret random, written
once. Standard library only, so it runs before anything is installed.

    python3 -m pmi_tools.envfile [.env]

An existing file is never overwritten: its passwords are already the broker's and the
database's, and its NIK digest key made the digests stored in the databases.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

PROCESSES = (
    "registration",
    "documents",
    "orientation",
    "reintegration",
    "protection",
    "notifications",
    "reporting",
    "letters",
    "gateway",
    "agencies",
)
# the processes with a database of their own, each owned by a role of its own
# (infra/postgres/databases.sh)
DATABASE_OWNERS = (
    "registration",
    "documents",
    "orientation",
    "reintegration",
    "protection",
    "notifications",
    "reporting",
    "letters",
    "agencies",
    "gateway",
)


def generate() -> dict[str, str]:
    """Hex only: safe inside a URL, 64 characters each (32 random bytes)."""
    names = [
        "JWT_SECRET",
        "NIK_DIGEST_KEY",
        "PSEUDONYM_KEY",
        "WEBHOOK_SECRET_KEY",
        "IDEMPOTENCY_ANSWER_KEY",
        "POSTGRES_PASSWORD",
        "REGISTRY_READER_PASSWORD",
        "AGREEMENTS_READER_PASSWORD",
        "RABBITMQ_ADMIN_PASSWORD",
        "NOTIFY_INBOUND_SECRET",  # the key the SMS provider's relay signs replies with
        *(f"BROKER_PASSWORD_{process.upper()}" for process in PROCESSES),
        *(f"DB_PASSWORD_{owner.upper()}" for owner in DATABASE_OWNERS),
    ]
    return {name: secrets.token_hex(32) for name in names}


def add_missing(path: Path) -> list[str]:
    """Append a secret for each name an older file lacks (a release that needs a new one),
    never changing a secret in use; the names added."""
    present = {
        line.split("=", 1)[0].strip()
        for line in path.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    missing = {name: value for name, value in generate().items() if name not in present}
    if missing:
        with path.open("a") as file:
            file.write("".join(f"{name}={value}\n" for name, value in missing.items()))
    return sorted(missing)


def write(path: Path) -> bool:
    """Write a new env file at ``path`` (readable by its owner only); False when one exists."""
    if path.exists():
        return False
    lines = [
        "# Generated once by `make secrets`; never commit it (it is in .gitignore).",
        "# Losing NIK_DIGEST_KEY makes stored NIK digests unusable: back it up.",
        *(f"{name}={value}" for name, value in generate().items()),
    ]
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write("\n".join(lines) + "\n")
    return True


def write_signing_pair(folder: Path) -> bool:
    """A development certificate and key the letters service signs with (``certificate.pem``,
    ``key.pem`` in ``folder``, the key readable by its owner only); False when one exists. The
    office replaces them with its own (docs/letters.md). Made with the platform's own code where
    it is installed, else with ``openssl`` (``make secrets`` runs before any virtualenv)."""
    cert_path, key_path = folder / "certificate.pem", folder / "key.pem"
    if cert_path.exists() or key_path.exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    name = "Dinas Tenaga Kerja (make secrets: replace with yours)"
    try:
        from services.letters.signing import make_certificate
    except ImportError:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                "-subj", f"/C=ID/O=Dinas Tenaga Kerja/CN={name}",
                "-keyout", str(key_path), "-out", str(cert_path),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        os.chmod(key_path, 0o600)
        return True
    cert_pem, key_pem = make_certificate(name)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key_pem)
    cert_path.write_bytes(cert_pem)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else ".env")
    if write(path):
        print(f"{path}: every secret written (random); keep it, back it up, never commit it")
    elif added := add_missing(path):
        print(f"{path} exists: kept its secrets, added {', '.join(added)}")
    else:
        print(f"{path} exists: kept as it is (its secrets are in use)")
    signing = path.parent / "secrets" / "letters"
    if write_signing_pair(signing):
        print(f"{signing}: a development certificate letters are signed with (replace it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
