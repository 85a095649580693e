"""A generic noun written right after a key phrase heads a compound (导热系数, 铬鞣工艺) that counts
whole; a verb or qualifier after a phrase, or a word before it, forms none."""

import pytest

from kechuang.matching.base import Document
from kechuang.matching.evidence import (
    GENERIC_MIN_DOCS,
    compounds_of,
    evidence_for,
    key_phrases,
    kind_modifiers,
    phrases_of,
    record_strength,
)
from kechuang.matching.text import Analyzer


def test_a_generic_noun_after_a_key_phrase_heads_a_compound():
    analyzer = Analyzer.from_files()
    assert compounds_of(analyzer, "导热硅脂的导热系数只有设计值的一半") == {"导热系数": "系数"}
    assert compounds_of(analyzer, "现用铬鞣工艺") == {"铬鞣工艺": "工艺"}
    assert compounds_of(analyzer, "电池系统") == {"电池系统": "系统"}
    # 提高 (a verb), 不足 (a qualifier) and 等级 (a distinguishing word) head nothing; 出口 comes first
    assert compounds_of(analyzer, "寿命提高一倍，剥离强度不足，气味等级，出口欧洲") == {}
    # a number with its unit is no key phrase
    assert compounds_of(analyzer, "空压机 80 dB") == {}


def _idfs(words):
    return {w: {"导热": 5.0, "系数": 4.0, "填料": 6.0}.get(w, 1.0) for w in words}


def test_a_compound_counts_whole_at_its_generic_nouns_weight():
    analyzer = Analyzer.from_files()
    phrases = key_phrases(analyzer, "填料导热系数偏低", _idfs, n_docs=GENERIC_MIN_DOCS)
    assert dict(phrases.weights) == {"导热": 5.0, "填料": 6.0, "导热系数": 4.0}
    assert phrases.full == 15.0
    whole = Document(id="expert:1", type="expert", fields={"title": "导热系数测定"})
    evidence, answered = evidence_for(whole, phrases, analyzer)
    assert answered == ["导热", "导热系数"]
    assert [(e.terms, e.snippet) for e in evidence] == [
        (["导热", "导热系数"], "<mark>导热系数</mark>测定")
    ]
    # 系数 elsewhere in the record answers nothing: only the compound written whole counts
    apart = Document(id="expert:2", type="expert", fields={"title": "导热填料 摩擦系数"})
    assert evidence_for(apart, phrases, analyzer)[1] == ["导热", "填料"]


def _even(words):
    return dict.fromkeys(words, 1.0)


def test_a_small_index_has_no_compounds():
    # in a handful of records 系数 is rare: its compounds would weigh like rare words
    analyzer = Analyzer.from_files()
    phrases = key_phrases(analyzer, "填料导热系数偏低", _idfs, n_docs=GENERIC_MIN_DOCS - 1)
    assert dict(phrases.weights) == {"导热": 5.0, "填料": 6.0}


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        # 一倍 and 两成 are quantities like 2倍 and 20%: evidence for any record that states one
        ("密封面磨损寿命提高一倍，不良率降低两成", ["密封面", "磨损", "寿命", "不良率"]),
        # 回差大 and 温漂大 are runs of lone characters joined back: the thing is 回差, 大 says how it is
        (
            "瑞安汽配企业的机器人关节减速器回差大、温漂大",
            ["汽配", "机器人", "关节", "减速器", "回差", "温漂"],
        ),
        # where the demand is written (温州), what it costs (费用, 万元, 每年), how it compares (只有,
        # 超过) and a concentration with its unit (0.1mg/L) name nothing a record could answer
        (
            "温州某企业废水出水COD只有0.1mg/L，超过排放标准，每年处理费用超过50万元",
            ["废水", "出水", "cod", "排放", "标准"],
        ),
        # a test bench (测试台, like 试验台) is a kind of apparatus, not what it tests: said of the
        # enterprise's own line it was the whole evidence of a fuel-cell test bench for an ECU demand
        (
            "ECU下线检测依靠人工插拔与半自动测试台",
            ["ecu", "下线", "插拔", "半自动"],
        ),
        # the body issuing a standard names no test (ISO 26262 is functional safety, ISO 9227 salt
        # spray), nor does 总成 (any assembly); ASTM B117 names salt spray by its number
        (
            "EPB卡钳总成满足ISO 26262，依据GB/T 10125与ASTM B117开展盐雾试验",
            ["epb", "卡钳", "b117", "盐雾"],
        ),
        # a change (升高), any making (加工) and a request's means (手段) name nothing; 机加工 does
        ("出水COD升高，靠日常手段加工，机加工节拍90秒", ["出水", "cod", "机加工", "节拍"]),
        # a level (三级) is a quantity; 等保 stays whole (等 alone is a stop word); a service's
        # boilerplate (出具, 配套) and the segmenter's 从小 of 从小罐放大 name nothing
        ("通过等保三级测评，出具报告并配套整改，从小罐放大", ["等保", "测评", "整改", "放大"]),
        # 中性盐雾 stays whole (the segmenter cut it into 中性盐 + 雾)
        ("主机厂要求通过480小时中性盐雾试验", ["中性盐雾"]),
        # a character of grammar beside an unknown word is no part of it (后温升, 槽满率仅, 做飞织),
        # a defect that starts with one keeps it (偏磨); the poster (我厂, 我司) names nothing
        (
            "我厂满载后温升超标，槽满率仅40%，做飞织鞋面时偏磨",
            ["满载", "温升", "槽满率", "飞织", "鞋面", "偏磨"],
        ),
        # words of plain writing the segmenter tags as time, pronoun, adverb, locative or measure
        # (去年, 每天, 经常, 附近, 内部, 毫米) name nothing; rarer words it tags so wrongly (同步 and
        # 相机 as adverbs, 刚度 too) stay
        (
            "去年起每天都有螺栓断裂，断口附近经常有锈迹，内部有十几毫米的裂纹",
            ["螺栓", "断裂", "断口", "锈迹", "裂纹"],
        ),
        ("两轴不同步，相机拍到刚度不足", ["两轴", "同步", "相机", "刚度"]),
        # 有限 (of 效果有限, and of every provider's 有限公司) and 用来 qualify or introduce, naming nothing
        ("现在靠包被，效果有限，客户用来输送液化石油气", ["包被", "输送", "液化", "石油气"]),
        # plain verbs and adjectives of a report (开始, 反映, 严重, 平均, 重新, 容易, 指标) name nothing: they
        # were an expert's evidence through a paper's 微生物指标 and 开始水解
        ("装车后开始反映异响严重，平均温升指标复杂", ["装车", "异响", "温升"]),
        ("重新设计后容易开裂，特殊工况简单复核", ["开裂", "工况", "复核"]),
        # where the poster works (厂里) and how a complaint came (听到), a superlative or size of any
        # specification (最高转速, 最大力值, 大型工件: in nearly every instrument's) and 记录 name nothing;
        # 大模型 is one word of the trade, not 大 + 模型
        (
            "厂里部署的大模型，车厢里能听到，最高转速，大型工件，记录数据",
            ["大模型", "车厢", "转速", "工件"],
        ),
    ],
    ids=[
        "chinese-numbers",
        "predicate-adjectives",
        "places-and-circumstances",
        "apparatus-kind",
        "standard-bodies-and-assemblies",
        "changes-limits-making",
        "levels",
        "neutral-salt-spray",
        "grammar-beside-unknown-words",
        "function-words",
        "rare-words-tagged-as-adverbs",
        "qualifiers-and-purpose",
        "plain-verbs-of-a-report",
        "plain-adjectives",
        "where-how-superlatives-and-a-term-of-the-trade",
    ],
)
def test_what_names_nothing_is_no_key_phrase(text, phrases):
    assert phrases_of(Analyzer.from_files(), text) == phrases


def test_an_adjective_cut_off_leaves_the_thing_a_record_answers():
    analyzer = Analyzer.from_files()
    phrases = key_phrases(
        analyzer, "机器人关节减速器回差大", lambda words: dict.fromkeys(words, 1.0)
    )
    rig = Document(id="instrument:1", type="instrument", fields={"name": "减速器回差测试装置"})
    evidence, answered = evidence_for(rig, phrases, analyzer)
    assert answered == ["减速器", "回差"]
    assert [e.snippet for e in evidence] == ["<mark>减速器回差</mark>测试装置"]


@pytest.mark.parametrize(
    ("demand", "record", "answered", "snippet"),
    [
        # the segmenter keeps 注塑模 and 视觉检测 whole: the phrase with a word of its kind after it
        (
            "薄壁件注塑短射",
            "注塑模流分析与工艺优化",
            ["注塑"],
            "<mark>注塑模</mark>流分析与工艺优化",
        ),
        ("视觉定位自动缝制", "工业视觉检测算法定制", ["视觉"], "工业<mark>视觉检测</mark>算法定制"),
        # a longer word that only begins with the phrase names something else
        ("希望转向无铬鞣工艺", "转向节疲劳寿命", [], None),
        ("聚丙烯改性", "丙烯酸树脂", [], None),
    ],
    ids=["mould", "inspection", "knuckle", "acrylic"],
)
def test_a_word_of_the_phrases_kind_answers_it(demand, record, answered, snippet):
    analyzer = Analyzer.from_files()
    phrases = key_phrases(analyzer, demand, _even)
    service = Document(id="service:1", type="service", fields={"title": record})
    evidence, found = evidence_for(service, phrases, analyzer)
    assert found == answered
    assert [e.snippet for e in evidence] == ([snippet] if snippet else [])


def test_a_name_of_the_phrases_kind_counts_as_asked_for():
    analyzer = Analyzer.from_files()
    phrases = key_phrases(analyzer, "薄壁件注塑短射", _even)
    assert dict(phrases.weights) == {"薄壁": 1.0, "注塑": 1.0, "短射": 1.0}
    name = key_phrases(analyzer, "注塑模流分析", _even)
    assert dict(name.weights) == {"注塑模": 1.0}
    # the demand asks for the whole name: one phrase of three, read as the geometric mean with 1
    assert record_strength(phrases, ["注塑"], name) == pytest.approx((1 / 3) ** 0.5)
    assert kind_modifiers("注塑模") == ["注塑"]
    assert kind_modifiers("视觉检测") == ["视觉"]
    assert kind_modifiers("转向节") == kind_modifiers("深度学习") == kind_modifiers("丙烯酸") == []


def test_neutral_salt_spray_is_salt_spray():
    analyzer = Analyzer.from_files()
    phrases = key_phrases(analyzer, "车灯支架盐雾试验不合格", _even)
    lab = Document(
        id="service:1",
        type="service",
        fields={"description": "依据GB/T 10125开展中性盐雾、交变湿热试验"},
    )
    evidence, answered = evidence_for(lab, phrases, analyzer)
    assert answered == ["盐雾"]
    assert [e.snippet for e in evidence] == [
        "依据GB/T 10125开展<mark>中性盐雾</mark>、交变湿热试验"
    ]
