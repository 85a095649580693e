"""The behaviour every backend must have. A backend's test class inherits :class:`BackendContract` and
provides a ``backend`` fixture returning an empty backend (no encoder); the dense cases build the same
backend with :class:`CharacterEncoder` and extra options."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from kechuang.matching.base import Document
from kechuang.matching.embedded import passage_text
from kechuang.matching.encoders import Encoder
from kechuang.matching.ranking import idf


def doc(doc_id, fields, *, weights=None, filters=None, group="", doc_type=None) -> Document:
    return Document(
        id=doc_id,
        type=doc_type or doc_id.split(":")[0],
        fields=fields,
        weights=weights or {"title": 3.0},
        filters=filters or {},
        group=group,
    )


CORPUS = [
    doc(
        "expert:1",
        {
            "title": "王教授",
            "keywords": "永磁同步电机 电机控制",
            "papers": "基于滑模观测器的永磁同步电机无位置传感器控制",
        },
        filters={
            "region": ["330000", "330300", "330381"],
            "kind": ["scholar"],
            "availability": ["available"],
        },
        group="10",
    ),
    doc(
        "expert:2",
        {
            "title": "李研究员",
            "keywords": "高分子材料 注塑成型",
            "papers": "聚丙烯复合材料的改性与注塑工艺",
        },
        filters={"region": ["330000", "330100"], "kind": ["scholar"], "availability": ["busy"]},
        group="11",
    ),
    doc(
        "achievement:1",
        {
            "title": "一种集成式电控气源装置",
            "description": "将空压机与干燥器集成，适用于新能源汽车。采用SG3525芯片驱动。",
        },
        filters={"region": ["330000", "330300"], "kind": ["invention"], "chain": ["auto-parts"]},
        group="10",
    ),
    doc(
        "service:1",
        {
            "title": "Pro/TOOLKIT二次开发培训",
            "description": "面向模具企业的CAD二次开发服务 <script>alert(1)</script>",
        },
        filters={"region": ["330000", "330300"], "kind": ["training"]},
        group="12",
    ),
    doc(
        "instrument:1",
        {"title": "扫描电子显微镜", "description": "用于金属材料断口分析与表面形貌观察"},
        filters={"region": ["320000"], "kind": ["analytical"]},
        group="13",
    ),
]


class CharacterEncoder(Encoder):
    """A deterministic bag-of-characters encoder: texts sharing characters are near, texts sharing none
    are orthogonal. Small enough for tests to reason about which documents are near which."""

    name = "characters"
    dim = 2039  # a prime, so CJK code points rarely collide

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for character in text:
                if not character.isspace():
                    vectors[row, ord(character) % self.dim] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


# Three fields; under CharacterEncoder documents of one field are near each other and (nearly) orthogonal
# to the other fields. expert:13 shares no character with the query 滑模观测器, but its vector is near
# those of expert:11 and expert:12, the two strong lexical matches; instrument:14 of another field matches
# the query weakly (观测).
FIELDS = [
    doc("expert:11", {"title": "滑模观测器", "keywords": "永磁同步电机 无位置传感"}),
    doc("expert:12", {"title": "观测器设计", "keywords": "永磁同步电机 转子位置估计"}),
    doc("expert:13", {"title": "永磁同步电机", "keywords": "无位置传感 矢量控制"}),
    doc("achievement:11", {"title": "聚丙烯复合材料", "keywords": "注塑成型"}),
    doc("achievement:12", {"title": "聚丙烯改性", "keywords": "注塑工艺"}),
    doc("achievement:13", {"title": "复合材料改性", "keywords": "成型工艺"}),
    doc("instrument:11", {"title": "透射显微镜", "keywords": "断口分析"}),
    doc("instrument:12", {"title": "显微镜", "keywords": "表面形貌分析"}),
    doc("instrument:13", {"title": "断口形貌", "keywords": "表面分析"}),
    doc("instrument:14", {"title": "天文观测", "keywords": "表面形貌"}),
]
SAME_FIELD = "expert:13"
WEAK_MATCH = "instrument:14"
OTHER_FIELDS = [d.id for d in FIELDS if not d.id.startswith("expert:")]


class BackendContract:
    """Shared tests: indexing, search with evidence, Chinese text handling, filters, diversity, updates
    and bad input."""

    @pytest.fixture
    def loaded(self, backend):
        backend.rebuild(CORPUS, total=len(CORPUS))
        return backend

    def test_rebuild_counts_every_document(self, loaded):
        assert loaded.count() == 5
        assert loaded.count(types=["expert"]) == 2

    def test_search_ranks_the_matching_record_first_with_evidence(self, loaded):
        hits = loaded.search("滑模观测器 电机控制")
        assert hits[0].id == "expert:1"
        assert hits[0].type == "expert"
        assert hits[0].semantic is None
        fields = {e.field: e for e in hits[0].evidence}
        assert "滑模" in fields["papers"].terms or "观测器" in fields["papers"].terms
        assert "<mark>" in fields["papers"].snippet

    def test_traditional_query_finds_simplified_record(self, loaded):
        hits = loaded.search("電控氣源裝置")
        assert hits[0].id == "achievement:1"

    def test_full_width_model_number_is_one_term(self, loaded):
        hits = loaded.search("ＳＧ３５２５")
        assert [h.id for h in hits] == ["achievement:1"]
        assert hits[0].evidence[0].terms == ["sg3525"]
        assert "<mark>SG3525</mark>" in hits[0].evidence[0].snippet

    def test_latin_compound_is_kept_whole(self, loaded):
        hits = loaded.search("Pro/TOOLKIT")
        assert hits[0].id == "service:1"
        assert "pro/toolkit" in hits[0].evidence[0].terms

    def test_synonym_finds_the_other_word(self, loaded):
        hits = loaded.search("电动汽车")
        assert [h.id for h in hits] == ["achievement:1"]

    def test_snippets_are_html_escaped(self, loaded):
        hits = loaded.search("二次开发 CAD")
        snippets = " ".join(e.snippet for e in hits[0].evidence)
        assert "<script>" not in snippets
        assert "&lt;script&gt;" in snippets or "script" not in snippets

    def test_filters_match_any_value_and_combine_with_and(self, loaded):
        hits = loaded.search("电机 材料 显微镜", filters={"region": ["330300"]})
        assert {h.id for h in hits} <= {"expert:1", "achievement:1", "service:1"}
        assert "expert:1" in {h.id for h in hits}
        hits = loaded.search("电机 材料", filters={"region": ["330000"], "availability": ["busy"]})
        assert [h.id for h in hits] == ["expert:2"]

    def test_types_limit_the_results(self, loaded):
        hits = loaded.search("新能源汽车 电机", types=["achievement"])
        assert [h.id for h in hits] == ["achievement:1"]

    def test_unknown_filter_values_give_no_results(self, loaded):
        assert loaded.search("电机", filters={"region": ["999999"]}) == []
        assert loaded.search("电机", filters={"nonsense": ["x"]}) == []
        assert loaded.search("电机", types=["nonsense"]) == []

    @pytest.mark.parametrize("query", ["", "   ", "\n\t", "😀🚗", "的 了 和"])
    def test_unusable_queries_return_nothing(self, loaded, query):
        assert loaded.search(query) == []

    def test_very_long_and_mixed_queries_do_not_fail(self, loaded):
        long_query = "电机控制" * 2500  # 10,000 characters
        assert loaded.search(long_query)[0].id == "expert:1"
        mixed = loaded.search("🚗 SG3525 芯片 ñ ё 電控")
        assert mixed[0].id == "achievement:1"

    def test_diversify_caps_hits_per_group_while_others_qualify(self, backend):
        docs = [
            doc(f"expert:{i}", {"title": f"电机控制专家{i}", "keywords": "电机控制"}, group="A")
            for i in range(1, 5)
        ] + [doc("expert:9", {"title": "电机专家", "keywords": "电机"}, group="B")]
        backend.rebuild(docs)
        plain = backend.search("电机控制", k=3)
        assert {h.id for h in plain} <= {"expert:1", "expert:2", "expert:3", "expert:4"}
        capped = backend.search("电机控制", k=3, diversify=2)
        assert len(capped) == 3
        assert "expert:9" in {h.id for h in capped}
        assert sum(1 for h in capped if h.id != "expert:9") == 2
        # When no other group qualifies, capped hits still fill the list.
        assert len(backend.search("电机控制", k=5, diversify=1)) == 5

    def test_index_adds_and_replaces_documents(self, loaded):
        loaded.index([doc("service:2", {"title": "激光熔覆再制造服务"})])
        assert [h.id for h in loaded.search("激光熔覆")] == ["service:2"]
        loaded.index([doc("service:2", {"title": "超声波无损检测服务"})])
        assert loaded.search("激光熔覆") == []
        assert [h.id for h in loaded.search("无损检测")] == ["service:2"]
        assert loaded.count() == 6

    def test_delete_removes_documents_and_ignores_unknown_ids(self, loaded):
        loaded.delete(["expert:1", "expert:404"])
        assert "expert:1" not in {h.id for h in loaded.search("永磁同步电机")}
        assert loaded.count() == 4

    def test_rebuild_replaces_everything(self, loaded):
        loaded.rebuild([doc("platform:1", {"title": "博士后工作站"})])
        assert loaded.count() == 1
        assert loaded.search("永磁同步电机") == []
        assert [h.id for h in loaded.search("博士后")] == ["platform:1"]

    # --- dense feedback and score propagation -----------------------------------------------------

    @pytest.fixture
    def dense_backend(self, backend):
        """A factory: the same (empty) backend with :class:`CharacterEncoder` and these options, loaded
        with :data:`FIELDS` and every vector encoded."""

        def make(**options):
            dense = type(backend)({**backend.options, "ENCODER": CharacterEncoder(), **options})
            dense.rebuild(FIELDS)
            assert dense.embed_pending() == len(FIELDS)
            return dense

        return make

    @pytest.mark.parametrize(
        ("dense_prf", "graph_weight"),
        [(2.0, 0.0), (0.0, 0.9), (2.0, 0.9)],
        ids=["feedback", "propagation", "both"],
    )
    def test_a_document_of_the_best_matches_field_ranks_with_them(
        self, dense_backend, dense_prf, graph_weight
    ):
        backend = dense_backend(DENSE_PRF=dense_prf, GRAPH_WEIGHT=graph_weight, GRAPH_K=2)
        hits = backend.search("滑模观测器", k=3)
        assert {h.id for h in hits} == {"expert:11", "expert:12", SAME_FIELD}
        found = {h.id: h for h in hits}[SAME_FIELD]
        # It shares no word with the query: its evidence is its sentence nearest the query, naming
        # no phrase, and it answers none of the query's key phrases.
        assert [(e.field, e.terms) for e in found.evidence] == [("title", [])]
        assert found.evidence[0].snippet == "永磁同步电机"
        assert found.strength == 0.0
        assert found.semantic is not None
        ranked = [h.id for h in backend.search("滑模观测器", k=10)]
        assert WEAK_MATCH in ranked
        assert all(ranked.index(SAME_FIELD) < ranked.index(o) for o in OTHER_FIELDS if o in ranked)

    def test_the_similarity_reported_is_to_the_query_itself(self, dense_backend):
        # Feedback moves the query towards the best matches to rank; the similarity a hit reports
        # (what a reader and the match strength may trust) stays the record's to the query as asked.
        backend = dense_backend(DENSE_PRF=2.0, GRAPH_WEIGHT=0.0, GRAPH_K=2)
        hits = backend.search("滑模观测器", k=10)
        encoder = CharacterEncoder()
        query = encoder.encode_queries(["滑模观测器"])[0]
        records = {d.id: d for d in FIELDS}
        expected = {
            h.id: float(encoder.encode_passages([passage_text(records[h.id])])[0] @ query)
            for h in hits
        }
        assert {h.id: h.semantic for h in hits} == pytest.approx(expected, abs=1e-5)
        # the record feedback brought in shares no character with the query
        assert expected[SAME_FIELD] == 0.0

    def test_without_feedback_or_propagation_it_ranks_below_a_weak_lexical_match(
        self, dense_backend
    ):
        backend = dense_backend(DENSE_PRF=0.0, GRAPH_WEIGHT=0.0, GRAPH_K=2)
        ranked = [h.id for h in backend.search("滑模观测器", k=10)]
        assert ranked[0] == "expert:11"
        assert SAME_FIELD not in ranked or ranked.index(WEAK_MATCH) < ranked.index(SAME_FIELD)

    def test_filters_hold_for_documents_found_through_the_dense_side(self, dense_backend):
        backend = dense_backend(GRAPH_K=2)
        hits = backend.search("滑模观测器", types=["expert"], k=10)
        assert {h.id for h in hits} == {"expert:11", "expert:12", SAME_FIELD}

    # --- stable ranking and evidence a reader can check ------------------------------------------

    def test_the_top_five_do_not_depend_on_how_many_are_asked_for(self, backend):
        """Fused scores are standardised over the candidate pool: a pool sized by k reordered the top
        hits when more were asked for. Many documents share words with the query in varying measure,
        several owners, dense fusion and diversity on."""
        words = [
            "电机",
            "控制",
            "永磁",
            "同步",
            "观测器",
            "滑模",
            "传感器",
            "逆变器",
            "转矩",
            "矢量",
        ]
        docs = [
            doc(
                f"expert:{i}",
                {
                    "title": " ".join(words[(j * 7) % 10] for j in range(i, i + 1 + i % 5)),
                    "keywords": words[i % 10],
                },
                group=str(i % 4),
            )
            for i in range(150)
        ]
        # A pool of 60: k = 50 fits in it (beyond the pool, k must grow it), k × 5 did not.
        dense = type(backend)({**backend.options, "ENCODER": CharacterEncoder(), "CANDIDATES": 60})
        dense.rebuild(docs)
        dense.embed_pending()
        query = "永磁同步电机 滑模观测器 矢量控制"
        tops = [[h.id for h in dense.search(query, k=k, diversify=2)][:5] for k in (5, 10, 50)]
        assert len(tops[0]) == 5
        assert tops[0] == tops[1] == tops[2]

    def test_evidence_names_whole_key_phrases_in_the_sentence_that_answers_them(self, backend):
        backend.rebuild(
            [
                doc(
                    "expert:31",
                    {
                        "title": "赵工程师",
                        "papers": "汽车转向节的疲劳寿命分析\n基于深度学习的图像识别\n"
                        "离散余弦变换在图像压缩中的应用\n丙烯酸涂料的耐候性",
                        "patents": "一种汽车空气压缩机噪声控制系统，专利号ZL2020 1080 1234.5",
                    },
                    weights={"title": 1.0, "papers": 1.0, "patents": 1.2},
                )
            ]
        )
        query = "希望转向无铬鞣工艺，废水深度处理；聚丙烯离散制造；空气压缩机噪声低于80 dB，汽车系统结构"
        [hit] = backend.search(query, k=5)
        # Generic words (汽车、系统), digits (80), units (dB) and false friends (转向 in 转向节,
        # 深度 in 深度学习, 丙烯 in 丙烯酸, 离散 in 离散余弦变换) are never evidence.
        assert [(e.field, e.terms) for e in hit.evidence] == [("patents", ["空气压缩机", "噪声"])]
        assert hit.evidence[0].snippet == (
            "一种汽车<mark>空气压缩机噪声</mark>控制系统，专利号ZL2020 1080 1234.5"
        )
        assert 0.0 < hit.strength < 0.5

    def test_strength_is_the_share_of_the_key_phrases_answered(self, backend):
        backend.rebuild(
            [
                doc("expert:41", {"title": "永磁同步电机 滑模观测器"}),
                doc("expert:42", {"title": "永磁同步电机"}),
                doc("expert:43", {"title": "减速器齿轮"}),
            ]
        )
        hits = {h.id: h for h in backend.search("永磁同步电机滑模观测器", k=5)}
        assert hits["expert:41"].strength == 1.0
        # 永磁同步电机 in two of three records, 滑模 (rated by its rarest character) and 观测器 in one
        assert hits["expert:42"].strength == pytest.approx(
            idf(3, 2) / (idf(3, 2) + idf(3, 1) + idf(3, 1)), rel=1e-6
        )
        assert "expert:43" not in hits
        assert [e.terms for e in hits["expert:41"].evidence] == [["永磁同步电机", "滑模", "观测器"]]
        assert hits["expert:41"].evidence[0].snippet == (
            "<mark>永磁同步电机</mark> <mark>滑模观测器</mark>"
        )

    def test_focus_is_the_share_its_best_sentence_answers_alone(self, backend):
        backend.rebuild(
            [
                doc("expert:44", {"papers": "永磁同步电机的滑模观测器设计\n减速器齿轮"}),
                doc("expert:45", {"papers": "永磁同步电机的效率\n滑模观测器的抖振"}),
            ]
        )
        hits = {h.id: h for h in backend.search("永磁同步电机滑模观测器", k=5)}
        assert hits["expert:44"].strength == hits["expert:45"].strength == 1.0
        assert hits["expert:44"].focus == 1.0
        # the three phrases weigh alike (each in both records): 滑模 and 观测器 in one paper
        assert hits["expert:45"].focus == pytest.approx(2 / 3, rel=1e-6)

    def test_a_property_word_alone_makes_no_match(self, backend):
        backend.rebuild(
            [
                doc("expert:51", {"title": "皮革收缩温度测定"}),
                doc("expert:52", {"title": "包装机 横封 温度"}),
                doc("expert:53", {"title": "减速器齿轮"}),
            ]
        )
        hits = {h.id: h for h in backend.search("包装机横封温度", k=5)}
        # 温度 alone, while the demand names 包装机 and 横封: shown as evidence, no strength
        assert [e.terms for e in hits["expert:51"].evidence] == [["温度"]]
        assert hits["expert:51"].strength == 0.0
        # beside the phrases naming the thing, 温度 counts
        assert [e.terms for e in hits["expert:52"].evidence] == [["包装机", "横封", "温度"]]
        assert hits["expert:52"].strength == 1.0
        # a query of property words only is answered by them
        [hit] = [h for h in backend.search("温度", k=5) if h.id == "expert:51"]
        assert hit.strength == 1.0

    def test_a_capability_record_weighs_how_much_of_its_name_the_demand_asks_for(self, backend):
        weights = {"name": 3.0, "description": 1.0}
        text = {"description": "镀层 盐雾 腐蚀"}
        backend.rebuild(
            [
                doc("instrument:1", {"name": "盐雾 腐蚀", **text}, weights=weights),
                doc("expert:1", {"name": "盐雾 腐蚀", **text}, weights=weights),
                doc("instrument:2", {"name": "光谱仪", **text}, weights=weights),
            ]
        )
        query = "电镀件镀层盐雾腐蚀寿命不足，希望改进钝化配方与封闭处理，提高耐候性能，降低返工率"
        hits = {h.id: h for h in backend.search(query, k=5)}
        coverage = hits["expert:1"].strength  # the demand coverage alone
        assert 0.0 < coverage < 0.5
        # its whole name asked for: the geometric mean of the demand coverage and 1
        assert hits["instrument:1"].strength == pytest.approx(coverage**0.5, rel=1e-6)
        # a name the demand does not ask for leaves the demand coverage
        assert hits["instrument:2"].strength == pytest.approx(coverage, rel=1e-6)
