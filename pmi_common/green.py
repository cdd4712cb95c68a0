"""eventlet, imported the one way every entry point does it (the runner, ``pmi``, the tests).

Imported before anything else opens a socket, and quietly: eventlet's deprecation notice (the
platform runs nameko 2.14.1 on eventlet on purpose) and dnspython's DSA deprecation (loaded by
eventlet's green resolver) are not news to whoever runs a command. A process that resolves names
only as a connection opens goes without the green resolver (dnspython, 17 MB); the agencies service
keeps it, as it resolves agencies' hosts while it delivers. ``EVENTLET_NO_GREENDNS`` is read only as
eventlet is imported, so it is set for that moment and not handed on to the processes this one
starts, which choose for themselves; one set by the caller is left as it is.
"""

from __future__ import annotations

import os
import sys
import warnings
from types import ModuleType

NO_GREEN_DNS = "EVENTLET_NO_GREENDNS"


def quiet_warnings() -> None:
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message=r"DSA is deprecated")


def import_eventlet(*, green_dns: bool = False) -> ModuleType:
    """eventlet, with the green resolver only when ``green_dns`` (a no-op once imported)."""
    quiet_warnings()
    if "eventlet" in sys.modules or green_dns or NO_GREEN_DNS in os.environ:
        import eventlet

        return eventlet
    os.environ[NO_GREEN_DNS] = "yes"
    try:
        import eventlet
    finally:
        del os.environ[NO_GREEN_DNS]
    return eventlet
