"""`make run` as a newcomer runs it: SQLite files, no database to set up, the whole journey."""

import pytest

from tests.e2e.conftest import running_stack
from tests.e2e.journey import Journey

pytestmark = pytest.mark.e2e


def test_the_quick_start_on_sqlite_serves_the_whole_journey(tmp_path, private_servers):
    with running_stack(tmp_path, postgres=False) as stack:
        journey = Journey(stack)
        journey.register()
        journey.submit_and_verify_documents()
        journey.wait_status("documents_verified")
        journey.attend_orientation()
        journey.wait_status("orientation_completed")
        journey.add_bpjs()
        journey.wait_status("cleared_for_departure")
        journey.depart()
        journey.come_home()
        journey.reintegrate()
        journey.wait_status("reintegrated")
        assert sorted(p.name for p in (tmp_path / "var").glob("*.db")) == [
            "documents.db",
            "gateway.db",
            "orientation.db",
            "registration.db",
            "reintegration.db",
        ]
