"""Events applied in batches: what arrives together is applied in one transaction, each event once,
and one event that fails in a batch is retried or dead-lettered alone while the others commit.

The events are published before the service starts, so that its consumer receives them at once
and the inbox gathers them into batches. Rows written in one PostgreSQL transaction share their
``xmin``: the number of distinct ``xmin`` among the inbox rows is the number of transactions."""

import uuid

import pytest
from eventlet.event import Event as GreenEvent
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, create_engine, text
from sqlalchemy import event as sqlalchemy_events

from pmi_common import contract as c
from pmi_common.inbox import BATCH_METHOD
from pmi_common.topology import declare_topology
from services.documents.service import DocumentsService
from tests.events import REGISTERED_V2, envelope, publish
from tests.helpers import take_message, wait_for

EVENTS = 120


@pytest.fixture
def database(database_urls):
    engine = create_engine(database_urls["documents"])
    yield engine
    engine.dispose()


def registered(worker_id, **overrides):
    return envelope(
        c.WORKER_REGISTERED,
        worker_id,
        {
            "nik_masked": "350512******0001",
            "nik_digest": "0" * 64,
            "full_name": "Siti Aminah",
            "sex": "F",
            "regency": "Blitar",
            "destination_country": "HK",
            "occupation": "caregiver",
            "placement_agency": "PT Sinar Jaya",
            "cycle": 1,
            **REGISTERED_V2,
        },
        **overrides,
    )


def transactions(database) -> tuple[int, int]:
    """(inbox rows, transactions that wrote them)."""
    with database.connect() as conn:
        return conn.execute(text("SELECT count(*), count(DISTINCT xmin::text) FROM inbox")).one()


def start_documents(container_factory, config_for):
    container = container_factory(DocumentsService, config_for("documents"))
    container.start()
    return container


def published_before_start(amqp, workers, duplicates=0, refused_at=None) -> None:
    """A ``worker_registered`` for each worker, the first ``duplicates`` of them twice, and at
    ``refused_at`` one the handler refuses (a worker event without a worker)."""
    declare_topology(amqp)
    events = [registered(worker) for worker in workers]
    events += events[:duplicates]
    if refused_at is not None:
        events.insert(refused_at, registered(None))
    for event in events:
        publish(amqp, event)


def test_events_that_arrive_together_are_applied_in_few_transactions_each_once(
    container_factory, config_for, rabbit_config, database
):
    amqp = rabbit_config["AMQP_URI"]
    published_before_start(amqp, [str(uuid.uuid4()) for _ in range(EVENTS)], duplicates=10)

    start_documents(container_factory, config_for)

    wait_for(lambda: transactions(database)[0] == EVENTS, message="every event applied")
    rows, commits = transactions(database)
    assert commits <= EVENTS // 10, f"{rows} events took {commits} transactions"
    with database.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM workers")).scalar() == EVENTS
        assert conn.execute(text("SELECT count(DISTINCT event_id) FROM inbox")).scalar() == EVENTS
    assert take_message(amqp, "documents.dead-letter") is None


def test_an_event_that_fails_in_a_batch_goes_alone_and_the_others_commit(
    container_factory, config_for, rabbit_config, database
):
    amqp = rabbit_config["AMQP_URI"]
    workers = [str(uuid.uuid4()) for _ in range(EVENTS)]
    published_before_start(amqp, workers, refused_at=EVENTS // 2)

    start_documents(container_factory, config_for)

    dead = wait_for(
        lambda: take_message(amqp, "documents.dead-letter"),
        message="the failing event dead-lettered",
    )
    assert "without a worker_id" in dead.headers["x-error"]
    assert dead.headers["x-attempts"] == 1  # refused for good: no retries
    wait_for(lambda: transactions(database)[0] == EVENTS, message="every other event applied")
    rows, commits = transactions(database)
    assert commits < EVENTS, "the events around the failing one were not applied in batches"
    with database.connect() as conn:
        known = {row[0] for row in conn.execute(text("SELECT id FROM workers"))}
    assert known == set(workers)
    assert take_message(amqp, "documents.dead-letter") is None  # only that one


def test_a_batch_takes_the_locks_of_its_workers_at_once_not_one_event_at_a_time(
    container_factory, config_for, rabbit_config, database
):
    """The documents service holds every worker of a batch with a few statements
    (``hold_workers``), so the statements that touch its ``workers`` table grow with the
    batches, not with the events (before: an insert and a locking read for each event)."""
    amqp = rabbit_config["AMQP_URI"]
    workers = [str(uuid.uuid4()) for _ in range(EVENTS // 2)]
    declare_topology(amqp)
    for worker in workers:
        publish(amqp, registered(worker))
        publish(
            amqp,
            envelope(
                c.WORKER_STATUS_CHANGED,
                worker,
                {
                    "from_status": "registered",
                    "to_status": "documents_verified",
                    "stage": "pre_departure",
                    "reason": "documents complete",
                    "cycle": 1,
                },
                sequence=2,
            ),
        )
    name = database.url.database
    statements = []

    def seen(conn, cursor, statement, *_):
        if conn.engine.url.database == name and " workers" in statement:
            statements.append(statement)

    sqlalchemy_events.listen(Engine, "before_cursor_execute", seen)
    try:
        start_documents(container_factory, config_for)
        wait_for(lambda: transactions(database)[0] == EVENTS, message="every event applied")
    finally:
        sqlalchemy_events.remove(Engine, "before_cursor_execute", seen)
    rows, commits = transactions(database)
    assert len(statements) <= 4 * commits < EVENTS, (
        f"{len(statements)} statements on workers for {rows} events in {commits} transactions"
    )
    with database.connect() as conn:
        assert conn.execute(
            text(
                "SELECT count(*) FROM workers WHERE status = 'documents_verified' AND cycle = 1 "
                "AND sequence = 2"
            )
        ).scalar() == len(workers)


class HeldBatches(DependencyProvider):
    """Records the events of each batch as its worker begins, and holds the first batch until
    the test lets it go."""

    def __init__(self, gate: GreenEvent, begun: list):
        self.gate, self.begun = gate, begun

    def worker_setup(self, worker_ctx):
        if worker_ctx.entrypoint.method_name != BATCH_METHOD:
            return
        batch = worker_ctx.args[0]
        self.begun.append([(d.event.worker_id, d.event.event_type) for d in batch.deliveries])
        if len(self.begun) == 1:
            self.gate.wait()


def status_changed(worker_id):
    return envelope(
        c.WORKER_STATUS_CHANGED,
        worker_id,
        {
            "from_status": "registered",
            "to_status": "documents_verified",
            "stage": "pre_departure",
            "reason": "documents complete",
            "cycle": 1,
        },
        sequence=2,
    )


def test_a_workers_next_event_waits_for_the_batch_under_way_with_her_first_one(
    container_factory, config_for, rabbit_config, database
):
    """Two batches run at once, and two batches at once may commit in either order: the event
    that follows a worker's first one while that one is being applied is held back until it has
    been, while another worker's event goes on beside it."""
    gate, begun = GreenEvent(), []

    class HeldDocuments(DocumentsService):
        held = HeldBatches(gate, begun)

    amqp = rabbit_config["AMQP_URI"]
    declare_topology(amqp)
    first, other = str(uuid.uuid4()), str(uuid.uuid4())
    container_factory(HeldDocuments, config_for("documents")).start()
    publish(amqp, registered(first))
    wait_for(lambda: len(begun) == 1, message="the first batch begun and held")

    publish(amqp, status_changed(first))
    publish(amqp, registered(other))
    wait_for(lambda: len(begun) == 2, message="the other worker's event under way beside it")
    assert begun[1] == [(other, c.WORKER_REGISTERED)]

    gate.send()
    wait_for(lambda: transactions(database)[0] == 3, message="every event applied")
    assert begun[2] == [(first, c.WORKER_STATUS_CHANGED)]
    with database.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM workers WHERE id = :id"), {"id": first}
        ).scalar()
    assert status == "documents_verified"
