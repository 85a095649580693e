import json
import os

import pytest

from kechuang.matching import load_backend
from kechuang.matching.embedded import EmbeddedBackend, IndexUnavailable
from kechuang.matching.tests.contract import CORPUS, BackendContract, doc


@pytest.fixture
def options(tmp_path):
    return {"INDEX_DIR": str(tmp_path), "ENCODER": "none"}


class TestEmbeddedBackend(BackendContract):
    @pytest.fixture
    def backend(self, options):
        return load_backend("embedded", options)


def test_backends_load_by_name_or_dotted_path(options):
    assert isinstance(load_backend("embedded", options), EmbeddedBackend)
    by_path = load_backend("kechuang.matching.embedded.EmbeddedBackend", options)
    assert isinstance(by_path, EmbeddedBackend)
    with pytest.raises(ValueError):
        load_backend("nonsense", options)


def test_updates_from_one_process_are_seen_by_another(options):
    writer, reader = load_backend("embedded", options), load_backend("embedded", options)
    writer.rebuild(CORPUS)
    assert reader.count() == 5
    writer.index([doc("service:7", {"title": "激光熔覆再制造"})])
    writer.delete(["expert:2"])
    assert [h.id for h in reader.search("激光熔覆")] == ["service:7"]
    assert reader.search("聚丙烯") == []
    writer.rebuild([doc("platform:1", {"title": "博士后工作站"})])
    assert reader.count() == 1


def test_rebuild_keeps_updates_logged_while_it_ran(options):
    backend = load_backend("embedded", options)
    backend.rebuild(CORPUS)
    other = load_backend("embedded", options)

    def documents():
        yield from CORPUS
        # Another worker indexes a record while the rebuild is still reading its documents.
        other.index([doc("service:8", {"title": "超声波无损检测"})])

    backend.rebuild(documents())
    assert [h.id for h in backend.search("无损检测")] == ["service:8"]
    assert backend.count() == 6


def test_a_missing_index_is_reported_not_served(options):
    backend = load_backend("embedded", options)
    assert backend.search("电机") == []
    with pytest.raises(IndexUnavailable):
        backend.check()


def test_a_corrupt_index_is_reported_not_served(options, tmp_path):
    backend = load_backend("embedded", options)
    backend.rebuild(CORPUS)
    generation = tmp_path / "embedded" / (tmp_path / "embedded" / "CURRENT").read_text()
    with open(generation / "post_doc.npy", "r+b") as handle:
        handle.truncate(os.path.getsize(generation / "post_doc.npy") // 2)
    fresh = load_backend("embedded", options)
    with pytest.raises(IndexUnavailable):
        fresh.check()
    with pytest.raises(IndexUnavailable):
        fresh.search("电机")
    fresh.rebuild(CORPUS)
    assert fresh.search("电机")[0].id == "expert:1"


def test_a_corrupt_delta_log_is_reported(options, tmp_path):
    backend = load_backend("embedded", options)
    backend.rebuild(CORPUS)
    generation = tmp_path / "embedded" / (tmp_path / "embedded" / "CURRENT").read_text()
    (generation / "delta.log").write_text('{"op": "index"}\n')
    with pytest.raises(IndexUnavailable):
        load_backend("embedded", options).check()


def test_many_updates_are_compacted_into_a_new_generation(options, tmp_path):
    backend = load_backend("embedded", options)
    backend.compact_after = 3
    backend.rebuild(CORPUS)
    first = (tmp_path / "embedded" / "CURRENT").read_text()
    backend.index([doc(f"service:{i}", {"title": f"超声波探伤{i}"}) for i in range(10, 15)])
    assert (tmp_path / "embedded" / "CURRENT").read_text() != first
    assert backend.count() == 10
    assert backend.status()["live_updates"] == 0
    assert len(backend.search("超声波探伤", k=20)) == 5


def test_delta_log_is_json_lines(options, tmp_path):
    backend = load_backend("embedded", options)
    backend.rebuild([])
    backend.index([doc("service:1", {"title": "检测"})])
    generation = tmp_path / "embedded" / (tmp_path / "embedded" / "CURRENT").read_text()
    lines = (generation / "delta.log").read_text().splitlines()
    assert json.loads(lines[0])["doc"]["id"] == "service:1"


def test_propagation_lifts_candidates_whose_neighbours_rank_high():
    import numpy as np

    from kechuang.matching.ranking import propagate

    scores = np.array([1.0, 0.5, 0.5, 0.2], dtype=np.float32)
    candidates = [(0, 10), (0, 11), (0, 12), (1, 0)]  # the last one is in the live segment
    graph = np.full((13, 2), -1, dtype=np.int32)
    graph[11] = [10, 8]  # row 11's neighbours: the best candidate and a non-candidate
    graph[12] = [3, -1]  # row 12's neighbours are not candidates
    out = propagate(scores, candidates, graph, weight=1.0)
    assert out[1] == pytest.approx(0.5 + 1.0 / 2)
    assert out[2] == pytest.approx(0.5)
    assert out[3] == pytest.approx(0.2)
    assert out[0] == pytest.approx(1.0)


def test_operator_word_lists_replace_the_shipped_ones(tmp_path):
    (tmp_path / "dict.txt").write_text("# 领域词\n瓯柑深加工\n", encoding="utf-8")
    (tmp_path / "syn.txt").write_text("瓯柑 柑橘\n", encoding="utf-8")
    options = {
        "INDEX_DIR": str(tmp_path / "index"),
        "ENCODER": "none",
        "DICTIONARY": [str(tmp_path / "dict.txt")],
        "SYNONYMS": [str(tmp_path / "syn.txt")],
    }
    backend = load_backend("embedded", options)
    backend.rebuild(
        [doc("achievement:1", {"title": "瓯柑深加工技术"}), doc("service:1", {"title": "柑橘检测"})]
    )
    assert "瓯柑深加工" in backend.search("瓯柑深加工")[0].evidence[0].terms
    assert {h.id for h in backend.search("瓯柑")} == {"achievement:1", "service:1"}


def _scaled_corpus(n):
    """``n`` documents recombined from the contract corpus (repeated titles, shared terms)."""
    docs = []
    for i in range(n):
        source = CORPUS[i % len(CORPUS)]
        fields = dict(source.fields)
        fields["text"] = (
            f"{CORPUS[(i * 7) % len(CORPUS)].fields.get('title', '')} 编号{i} SG{i % 13}-A"
        )
        docs.append(
            doc(
                f"{source.type}:{i}",
                fields,
                weights={**source.weights, "text": 1.0},
                filters={"region": [str(i % 3)]},
                group=f"g{i % 5}" if i % 2 else "",
                doc_type=source.type,
            )
        )
    return docs


def _naive_postings(docs, analyzer):
    """Postings by term, documents ascending: what the segment's arrays must hold."""
    from kechuang.matching.segment import analyse

    postings = {}
    for row, d in enumerate(docs):
        tf, _length = analyse(d, analyzer)
        for term, value in tf.items():
            postings.setdefault(term, []).append((row, value))
    return postings


def test_segments_built_serially_in_workers_or_spooled_are_identical(tmp_path):
    import numpy as np

    from kechuang.matching.embedded import analyzer_from_options
    from kechuang.matching.segment import ARRAYS, Segment, build_segment, document_to_dict

    analyzer = analyzer_from_options({})
    docs = _scaled_corpus(2500)  # more than one batch
    serial = build_segment(docs, analyzer)
    parallel = build_segment(docs, analyzer, workers=2)
    spooled = build_segment(iter(docs), analyzer, spool=tmp_path / "docs.tmp")
    spooled.save(tmp_path / "saved")
    reopened = Segment.open(tmp_path / "saved")
    for other in (parallel, spooled, reopened):
        assert dict(other.vocab) == dict(serial.vocab)
        assert other.ids == serial.ids and other.types == serial.types
        assert other.groups == serial.groups and other.filter_keys == serial.filter_keys
        for name in ARRAYS:
            assert np.array_equal(getattr(other, name), getattr(serial, name)), name
            assert getattr(other, name).dtype == getattr(serial, name).dtype, name
        assert bytes(other.docs_blob) == bytes(serial.docs_blob)
    assert serial.post_doc.dtype == np.int32 and serial.post_tf.dtype == np.float32
    for term, expected in _naive_postings(docs, analyzer).items():
        rows, tfs = serial.postings(term)
        assert list(rows) == [r for r, _ in expected]
        assert np.allclose(tfs, [v for _, v in expected])
    assert document_to_dict(serial.document(1234)) == document_to_dict(docs[1234])


def test_a_duplicate_id_stops_a_spooled_build(tmp_path):
    from kechuang.matching.embedded import analyzer_from_options
    from kechuang.matching.segment import build_segment

    docs = _scaled_corpus(3)
    with pytest.raises(ValueError):
        build_segment([*docs, docs[0]], analyzer_from_options({}), spool=tmp_path / "d.tmp")


def test_rebuild_leaves_no_spool_file(options, tmp_path):
    backend = load_backend("embedded", options)
    backend.rebuild(_scaled_corpus(50))
    assert backend.count() == 50
    assert not list((tmp_path / "embedded").glob("*.tmp"))
    assert {h.id for h in backend.search("永磁同步电机", k=100)} >= {"expert:0"}


def test_the_postgres_rebuilds_stable_order_is_numpys():
    import numpy as np

    from kechuang.matching.postgres import _stable_order

    values = np.random.default_rng(3).integers(0, 300_000, 50_000).astype(np.int32)
    assert (_stable_order(values) == np.argsort(values, kind="stable")).all()
