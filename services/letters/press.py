"""The service's door to its letters' making: the office's numbering scheme, letterhead, where the
public check is, and its signing certificate, read from the configuration once."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from nameko.extensions import DependencyProvider

from pmi_common import production
from pmi_common.config import DEFAULT_GATEWAY_ADDRESS, STATE_DIR

from .domain import TYPE_LABELS, Letter, NumberFormat
from .rendering import Letterhead, render
from .signing import OfficeSigner, office_signer, settings_problem


def verify_base(config: Mapping) -> str:
    """Where anyone checks a letter (``LETTER_VERIFY_URL``): the gateway's public address."""
    given = config.get("LETTER_VERIFY_URL")
    if given:
        return str(given).rstrip("/")
    return f"http://{config.get('GATEWAY_ADDRESS') or DEFAULT_GATEWAY_ADDRESS}"


def problems(config: Mapping) -> list[str]:
    """Why the letters service may not start with ``config``: no office certificate outside
    development, a numbering scheme that could give two letters one number."""
    found = []
    problem = settings_problem(dict(config), production.is_development(config))
    if problem:
        found.append(problem)
    try:
        NumberFormat(config.get("LETTER_NUMBER_FORMAT") or NumberFormat.pattern)
    except ValueError as exc:
        found.append(str(exc))
    return found


class LetterPress:
    def __init__(self, config: Mapping, state_dir: Path = STATE_DIR):
        self.numbering = NumberFormat(config.get("LETTER_NUMBER_FORMAT") or NumberFormat.pattern)
        self.letterhead = Letterhead.from_config(config)
        self.verify_base = verify_base(config)
        self.signer: OfficeSigner = office_signer(
            dict(config), state_dir, production.is_development(config)
        )

    def verify_url(self, code: str) -> str:
        return f"{self.verify_base}/verify/{code}"

    def __call__(self, letter: Letter, worker: Mapping, giver: Mapping | None) -> bytes:
        """The letter's PDF, signed by the office."""
        assert letter.verification_code is not None
        unsigned = render(
            letter, worker, giver, self.verify_url(letter.verification_code), self.letterhead
        )
        return self.signer.sign(
            unsigned, f"{TYPE_LABELS[letter.letter_type]['id']} {letter.number}"
        )


class Press(DependencyProvider):
    def setup(self):
        self.press = LetterPress(self.container.config)

    def get_dependency(self, worker_ctx) -> LetterPress:
        return self.press
