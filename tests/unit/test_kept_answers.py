"""The answer a service keeps for a keyed command's retry is sealed under a key of that service's
own, bound to its row: it opens there only (not under another service's key, not moved to
another row, never the gateway's seal), and the row names no one in clear; an answer kept in clear
before sealing began is still honoured; the export finds a sealed answer that names her by the
keyed digests beside the seal."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import MetaData, create_engine, insert, select, update

from gateway.idempotency import Seal
from pmi_common.errors import AnswerUnreadable
from pmi_common.kept_answers import KeptAnswers, is_sealed
from pmi_common.operations import rows_about
from pmi_common.store import Store
from pmi_common.tables import add_messaging_tables

KEY = "a-test-key-for-kept-idempotency-answers-of-32-characters"
HER, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
NIK = "3505125703940001"
VIEW = {"id": HER, "nik": NIK, "full_name": "Siti Aminah", "status": "registered"}
ROW_KEY = "4f" * 32  # a command key: the digest of caller, key and request


def test_a_kept_answer_holds_no_nik_and_opens_at_its_row_only():
    answers = KeptAnswers(KEY, "registration")

    kept = answers.seal(ROW_KEY, VIEW)

    text = json.dumps(kept)
    assert NIK not in text and "Siti" not in text and HER not in text
    assert is_sealed(kept) and kept["about"] == [answers.digest(HER)]
    assert answers.open(ROW_KEY, kept) == VIEW
    with pytest.raises(AnswerUnreadable):  # moved to another row
        answers.open("5a" * 32, kept)


def test_another_services_seal_and_the_gateways_do_not_open_here():
    registration = KeptAnswers(KEY, "registration")
    documents = KeptAnswers(KEY, "documents")
    gateways = Seal(KEY)._sealer.seal_bytes(json.dumps(VIEW).encode(), ROW_KEY.encode())

    with pytest.raises(AnswerUnreadable):
        registration.open(ROW_KEY, documents.seal(ROW_KEY, VIEW))
    with pytest.raises(AnswerUnreadable):
        registration.open(ROW_KEY, {"sealed": base64.urlsafe_b64encode(gateways).decode()})
    with pytest.raises(AnswerUnreadable):
        KeptAnswers("another-" + KEY, "registration").open(ROW_KEY, registration.seal(ROW_KEY, 1))
    assert documents.digest(HER) != registration.digest(HER)


def test_an_answer_kept_in_clear_before_sealing_began_is_honoured_as_it_is():
    answers = KeptAnswers(KEY, "registration")

    assert answers.open(ROW_KEY, VIEW) == VIEW
    assert answers.open(ROW_KEY, [VIEW]) == [VIEW]
    assert answers.open(ROW_KEY, None) is None


def a_store(service: str = "registration") -> Store:
    engine = create_engine("sqlite://")
    tables = add_messaging_tables(MetaData())
    tables.answers.metadata.create_all(engine)
    return Store(
        engine,
        tables,
        service,
        "c",
        None,
        wake_relay=lambda: None,
        command_key=ROW_KEY,
        answers=KeptAnswers(KEY, service),
    )


def kept_row(store: Store):
    with store.engine.connect() as conn:
        return conn.execute(select(store.tables.answers)).one()


def test_a_keyed_command_keeps_its_answer_sealed_and_a_retry_gets_it_without_running_again():
    store, runs = a_store(), []

    first = store.command(lambda uow: runs.append(1) or VIEW)
    again = store.command(lambda uow: runs.append(2) or {"id": OTHER})

    assert first == again == VIEW and runs == [1]
    row = kept_row(store)
    assert NIK not in json.dumps(row.answer) and is_sealed(row.answer)


def test_a_retry_across_the_upgrade_gets_the_answer_kept_in_clear_and_runs_nothing():
    store, now = a_store(), dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(
            insert(store.tables.answers),
            {"key": ROW_KEY, "answer": VIEW, "created_at": now, "expires_at": now},
        )

    assert store.command(lambda uow: pytest.fail("applied twice")) == VIEW


def test_a_seal_moved_to_another_row_is_refused_and_the_command_not_run_again():
    store = a_store()
    store.command(lambda uow: VIEW)
    moved = KeptAnswers(KEY, "registration").seal("5a" * 32, {"id": OTHER})
    with store.engine.begin() as conn:
        conn.execute(update(store.tables.answers).values(answer=moved))

    with pytest.raises(AnswerUnreadable):
        store.command(lambda uow: pytest.fail("applied twice"))


def test_her_export_finds_the_sealed_answers_that_name_her_and_opens_them():
    store, now = a_store(), dt.datetime.now(dt.UTC)
    answers = KeptAnswers(KEY, "registration")
    rows = [
        {"key": "k-1", "answer": answers.seal("k-1", VIEW)},
        {"key": "k-2", "answer": answers.seal("k-2", {"document": {"worker_id": HER}})},
        {"key": "k-3", "answer": answers.seal("k-3", {"id": OTHER, "note": f"not {HER}"})},
        {"key": "k-4", "answer": {"id": HER, "kept": "in clear, before sealing began"}},
    ]
    with store.engine.begin() as conn:
        conn.execute(
            insert(store.tables.answers),
            [{**row, "created_at": now, "expires_at": now} for row in rows],
        )
    metadata = store.tables.answers.metadata

    held = rows_about(store.engine, metadata, HER, answers=answers)

    assert [row["key"] for row in held["command_answers"]] == ["k-1", "k-2", "k-4"]
    assert held["command_answers"][0]["answer"] == VIEW
    assert held["command_answers"][1]["answer"] == {"document": {"worker_id": HER}}
    # without the service's key, only what was kept in clear is found
    assert [r["key"] for r in rows_about(store.engine, metadata, HER)["command_answers"]] == ["k-4"]
