"""The check that fails a run which restarted or reconfigured the machine's own servers: it sees
a server restart, and it leaves the suite's own servers out."""

from pathlib import Path

from tests import machine


def postmaster_pid(servers) -> int:
    return int((Path(servers.database.executor.datadir) / "postmaster.pid").read_text().split()[0])


def test_the_suite_s_own_servers_are_not_taken_for_the_machine_s(private_servers):
    own = postmaster_pid(private_servers)

    assert own not in {pid for _kind, pid, _started in machine.fingerprint()["servers"]}


def test_a_database_server_restarted_during_a_run_is_reported(private_servers):
    everything = "no process is left out"
    before = machine.fingerprint(own=everything)
    assert ("postgresql", postmaster_pid(private_servers)) in {
        (kind, pid) for kind, pid, _started in before["servers"]
    }

    private_servers.database.restart()

    changed = machine.differences(before, machine.fingerprint(own=everything))
    assert len(changed) == 1 and changed[0].startswith("servers:")
