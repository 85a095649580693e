"""Several processes against one PostgreSQL index, as a province runs it: web-like readers searching
continuously, a worker rebuilding the index (shadow tables swapped in) and a writer indexing a new
record meanwhile. Every reader sees the new record within seconds, and no reader ever sees a half-built
index: the results of a query every document answers come wholly from one generation, never a mix and
never empty. Each process has its own psycopg connection (skipped on SQLite)."""

from __future__ import annotations

import multiprocessing
import time

import psycopg
import pytest
from django.db import connection

from kechuang.demo.management.commands.bench_matching import django_dsn
from kechuang.matching import load_backend
from kechuang.matching.base import Document
from kechuang.matching.bench import SharedIndex, evaluate_shared, update_record

pytestmark = [
    pytest.mark.postgres_race,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

TABLE = "matching_processes_test"
SIZE = 400
READERS = 3
NEW = Document(
    id="x:1",
    type="doc",
    fields={"title": "量子隧穿显微镜", "text": "电机控制与量子隧穿显微镜的联合标定"},
    weights={"title": 2.0},
)


def generation(prefix: str) -> list[Document]:
    """``SIZE`` documents that all answer 电机控制, ids ``prefix:n`` (generation B also holds the new
    record, as the records a real rebuild reads would once it is saved)."""
    docs = [
        Document(
            id=f"{prefix}:{n}",
            type="doc",
            fields={"title": f"电机控制方案{n}", "text": f"永磁同步电机控制 第{n}号 变频调速"},
            weights={"title": 2.0},
        )
        for n in range(SIZE)
    ]
    return [*docs, NEW] if prefix == "b" else docs


def backend_for(dsn: str):
    conn = psycopg.connect(dsn, autocommit=True)
    return load_backend(
        "postgres",
        {"ENCODER": "none", "CURSOR": conn.cursor, "ATOMIC": conn.transaction, "TABLE": TABLE},
    )


def reader(dsn: str, stop, written_at, results) -> None:
    """Search until told to stop; report mixed or empty results and when the new record appeared."""
    backend = backend_for(dsn)
    searches, bad, seen_at = 0, [], None
    while not stop.is_set():
        hits = backend.search("电机控制", k=50, explain=False)
        prefixes = {hit.id.split(":")[0] for hit in hits if hit.id != NEW.id}
        if len(prefixes) != 1:
            bad.append(sorted(prefixes))
        if seen_at is None and backend.search("量子隧穿", k=5, explain=False):
            seen_at = time.time()
        searches += 1
    results.put({"searches": searches, "bad": bad, "seen_at": seen_at, "written": written_at.value})


def rebuilder(dsn: str, rounds: int) -> None:
    backend = backend_for(dsn)
    for round_number in range(rounds):
        backend.rebuild(generation("b" if round_number % 2 == 0 else "a"))
    backend.rebuild(generation("b"))


def writer(dsn: str, written_at) -> None:
    backend = backend_for(dsn)
    time.sleep(0.5)
    backend.index([NEW])
    written_at.value = time.time()


def test_readers_see_an_update_within_seconds_and_never_a_half_built_index():
    dsn = django_dsn()
    setup = backend_for(dsn)
    setup.drop()
    setup.rebuild(generation("a"))
    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    written_at = context.Value("d", 0.0)
    readers = [
        context.Process(target=reader, args=(dsn, stop, written_at, results))
        for _ in range(READERS)
    ]
    workers = [
        context.Process(target=rebuilder, args=(dsn, 4)),
        context.Process(target=writer, args=(dsn, written_at)),
    ]
    try:
        for process in readers + workers:
            process.start()
        for process in workers:
            process.join(timeout=240)
            assert process.exitcode == 0
        time.sleep(2)  # readers keep going after the last swap
        stop.set()
        reports = [results.get(timeout=60) for _ in readers]
        for process in readers:
            process.join(timeout=30)
    finally:
        stop.set()
        for process in readers + workers:
            if process.is_alive():
                process.kill()
    for report in reports:
        assert report["searches"] > 10
        assert report["bad"] == []
        assert report["seen_at"] is not None
        assert report["seen_at"] - report["written"] < 5.0
    assert [hit.id for hit in setup.search("量子隧穿", k=5, explain=False)] == [NEW.id]
    assert setup.count() == SIZE + 1
    setup.drop()


def test_the_shared_index_bench_counts_what_every_reader_saw():
    """``kechuang bench matching --processes``' run on a small index: readers, a writer and a
    rebuilding worker; every update is seen by every reader, none lost after it was seen, no error."""
    index = SharedIndex(django_dsn(), TABLE, {"ENCODER": "none"})
    setup = index.open()
    setup.drop()
    setup.rebuild(generation("a"))
    try:
        run = evaluate_shared(index, ["电机控制", "变频调速"], readers=2, updates=3, interval=0.5)
        assert run["readers"] == 2
        assert run["updates"] == 3
        assert run["rebuilt"] is True
        assert run["worker_failures"] == 0
        assert run["updates_not_seen"] == 0
        assert run["updates_lost_after_seen"] == 0
        assert run["errors"] == 0
        assert 0 <= run["visible_max_s"] < 5.0
        assert run["searches_per_s"] > 0
        assert setup.count() == SIZE + 3
        assert [hit.id for hit in setup.search("kcupd00002", k=3, explain=False)] == [
            update_record(2).id
        ]
    finally:
        setup.drop()
