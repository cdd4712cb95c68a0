"""eventlet is imported quietly and, unless asked, without its green resolver; the variable that
turns the resolver off is not handed on to the processes started afterwards."""

import os
import subprocess
import sys

PROBE = """
import os, sys
from pmi_common.green import import_eventlet
import_eventlet(green_dns={green_dns})
print("dns" in sys.modules, "EVENTLET_NO_GREENDNS" in os.environ)
"""


def run(green_dns: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "EVENTLET_NO_GREENDNS"}
    return subprocess.run(
        [sys.executable, "-c", PROBE.format(green_dns=green_dns)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_without_green_dns_dnspython_is_not_loaded_and_the_variable_is_gone():
    done = run(green_dns=False)

    assert done.stdout.split() == ["False", "False"]
    assert done.stderr == ""


def test_with_green_dns_dnspython_is_loaded_without_its_warnings():
    done = run(green_dns=True)

    assert done.stdout.split() == ["True", "False"]
    assert done.stderr == ""
