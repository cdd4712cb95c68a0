"""The test modules shared out as the run goes (``tests/claims.py``): every module runs once,
whole, in one process, longest first; the tests a process must run first, first."""

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tests import claims

ROOT = Path(__file__).resolve().parents[2]


def _items(*nodeids):
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def test_modules_are_offered_longest_first_and_a_tie_in_the_order_collected():
    modules = claims.by_module(
        _items("t/a.py::one", "t/b.py::one", "t/b.py::two", "t/c.py::one", "t/d.py::one")
    )
    durations = {"t/a.py::one": 2.0, "t/b.py::one": 1.5, "t/b.py::two": 1.5, "t/c.py::one": 9}
    # d is not in the durations: taken to last a second, as long as nothing else here
    assert claims.offered(modules, durations) == ["t/c.py", "t/b.py", "t/a.py", "t/d.py"]


def test_a_module_is_claimed_by_one_process_only(tmp_path):
    assert claims.claim(tmp_path, "tests/unit/test_x.py")
    assert not claims.claim(tmp_path, "tests/unit/test_x.py")
    assert claims.claim(tmp_path, "tests/unit/test_y.py")


def test_the_tests_to_run_first_are_named_by_their_folders_not_a_prefix_of_a_name():
    modules = ["tests/e2e/test_a.py", "tests/e2e_more/test_b.py", "tests/unit/test_c.py"]
    assert claims.firsts(modules, ["tests/e2e", ""]) == ["tests/e2e/test_a.py"]


# A test of the suites below: it records that it ran, and where; with PROCESSES set, it waits
# until that many processes have run a test (so none can take every module before another
# has started, however slowly the machine starts them).
MODULE = """
import os, time
from pathlib import Path

def test_{name}_{n}():
    ran = Path(os.environ["RAN"])
    (ran / "{name}-{n}-" f"{{os.getpid()}}").touch()
    deadline, processes = time.monotonic() + 60, int(os.environ.get("PROCESSES", 1))
    while len({{p.name.split("-")[2] for p in ran.iterdir()}}) < processes:
        assert time.monotonic() < deadline, "the other process never ran a test"
        time.sleep(0.01)
"""


def _pytest(tmp_path, suite, **env) -> tuple[list[str], dict[str, str]]:
    """A pytest over ``suite`` with the claims plugin, claiming in ``tmp_path/claims`` and
    recording in ``tmp_path/ran``: its command and environment."""
    for folder in ("claims", "ran"):
        (tmp_path / folder).mkdir()
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.claims"]
    command += ["-v", "--rootdir", str(suite), "-c", os.devnull, str(suite)]
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RAN": str(tmp_path / "ran"),
        claims.CLAIMS: str(tmp_path / "claims"),
        **env,
    }
    return command, environment


def test_two_processes_run_every_module_once_and_each_module_whole(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    names = [f"m{index}" for index in range(8)]
    for name in names:
        (suite / f"test_{name}.py").write_text(
            "".join(MODULE.format(name=name, n=n) for n in range(3))
        )
    command, env = _pytest(tmp_path, suite, PROCESSES="2")
    ran = tmp_path / "ran"
    processes = [
        subprocess.Popen(command, cwd=suite, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs

    runs = [path.name.split("-") for path in ran.iterdir()]
    assert sorted((name, n) for name, n, _ in runs) == sorted(
        (name, str(n)) for name in names for n in range(3)
    )  # every test once
    pids = {name: {pid for each, _, pid in runs if each == name} for name in names}
    assert all(len(ran_in) == 1 for ran_in in pids.values()), pids  # each module in one process
    assert len({pid for ran_in in pids.values() for pid in ran_in}) == 2  # both took a share


def test_what_a_process_runs_first_it_runs_before_claiming_and_nobody_else_runs_it(tmp_path):
    suite = tmp_path / "suite"
    (suite / "first").mkdir(parents=True)
    for path, name in ((suite / "first" / "test_f.py", "f"), (suite / "test_g.py", "g")):
        path.write_text(MODULE.format(name=name, n=0))
    command, env = _pytest(tmp_path, suite, **{claims.FIRST: "first"})
    run = subprocess.run(command, cwd=suite, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout
    order = [line.split("::")[0] for line in run.stdout.splitlines() if "PASSED" in line]
    assert order == ["first/test_f.py", "test_g.py"]
    assert sorted(path.name for path in (tmp_path / "claims").iterdir()) == ["test_g.py"]
