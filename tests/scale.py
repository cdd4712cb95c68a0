"""How much work the suite's heaviest tests do, read from ``RELIABILITY_SCALE``.

``small`` (the default, what ``make test`` runs) proves each property with the least work: a few
workers, every kind of fault once, a few generated requests per operation and phase.
``large`` (what ``make reliability`` runs) runs the same tests, with the same assertions, at the
volume that finds the rare interleavings: more workers, more faults, more generated requests.
"""

from __future__ import annotations

import os

SCALES = ("small", "large")
SCALE = os.environ.get("RELIABILITY_SCALE", "small")
if SCALE not in SCALES:
    raise RuntimeError(f"RELIABILITY_SCALE is {SCALE!r}; it must be one of {', '.join(SCALES)}")


def sized(small, large):
    """``small`` under ``make test``, ``large`` under ``make reliability``."""
    return large if SCALE == "large" else small
