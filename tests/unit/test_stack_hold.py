"""Holding one process of the stack: stopped and left stopped until released, then started."""

import subprocess
import sys

from pmi_tools.stack import Supervisor, held_names


class SleepingSupervisor(Supervisor):
    """The supervisor's own bookkeeping, over processes that only sleep."""

    def _spawn(self, name):
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])


def test_a_held_process_stays_stopped_until_released_then_starts_again(tmp_path):
    supervisor = SleepingSupervisor(services=("registration", "documents"))
    supervisor.start()
    try:
        first = supervisor.children["documents"]
        (tmp_path / "documents").touch()

        supervisor.hold(held_names(tmp_path))
        assert first.poll() is not None
        assert supervisor.check() is None
        assert supervisor.children["documents"] is first  # not restarted while held
        assert supervisor.children["registration"].poll() is None

        (tmp_path / "documents").unlink()
        supervisor.hold(held_names(tmp_path))
        assert supervisor.children["documents"] is not first
        assert supervisor.children["documents"].poll() is None
    finally:
        supervisor.stop()


def test_files_naming_no_process_of_the_stack_hold_nothing(tmp_path):
    supervisor = SleepingSupervisor(services=("registration",))
    (tmp_path / "billing").touch()
    supervisor.hold(held_names(tmp_path))
    assert supervisor.held == set()
    assert held_names(tmp_path / "absent") == set()
