from kechuang.matching.text import Analyzer, highlight, normalize, normalize_with_offsets


def test_normalize_folds_width_case_and_traditional_characters():
    assert normalize("ＳＧ３５２５電動汽車") == "sg3525电动汽车"


def test_tokens_keep_model_numbers_and_compounds_whole():
    tokens = Analyzer().tokens("采用SG3525芯片和Pro/TOOLKIT开发，材料为Ti-6Al-4V")
    assert "sg3525" in tokens
    assert "pro/toolkit" in tokens and "pro" in tokens and "toolkit" in tokens
    assert "ti-6al-4v" in tokens


def test_domain_dictionary_keeps_terms_whole():
    assert "电控气源装置" not in Analyzer().tokens("集成式电控气源装置")
    assert "电控气源装置" in Analyzer(dictionary=["电控气源装置"]).tokens("集成式电控气源装置")


def test_stop_words_are_dropped():
    analyzer = Analyzer(stopwords=["的", "研究"])
    assert analyzer.tokens("电机的研究") == ["电机"]


def test_synonyms_expand_the_query_at_a_lower_weight():
    analyzer = Analyzer(synonyms=[["电动汽车", "新能源汽车"]])
    terms = analyzer.query_terms("电动汽车")
    assert terms["电动汽车"] == 1.0
    assert terms["新能源汽车"] == Analyzer.synonym_weight


def test_shipped_word_lists_load():
    analyzer = Analyzer.from_files(extra_dictionary=["瓯柑深加工"])
    assert "瓯柑深加工" in analyzer.tokens("瓯柑深加工技术")
    assert "新能源汽车" in analyzer.query_terms("电动汽车")


def test_highlight_marks_original_characters_and_escapes_html():
    snippet, found = highlight("<b>新能源汽車</b>的電池", ["新能源汽车", "电池"])
    assert snippet == "&lt;b&gt;<mark>新能源汽車</mark>&lt;/b&gt;的<mark>電池</mark>"
    assert sorted(found) == ["新能源汽车", "电池"]


def test_highlight_cuts_a_window_around_the_matches():
    text = "甲" * 200 + "电机控制" + "乙" * 200
    snippet, _ = highlight(text, ["电机"], width=40)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>电机</mark>" in snippet
    assert len(snippet) < 80


def test_highlight_without_matches_is_empty():
    assert highlight("电机", ["材料"]) == ("", [])


def test_tokens_match_segmentation_then_stop_word_filtering():
    """The one-pass filtering and the compound pre-check change nothing."""
    samples = [
        "采用SG3525芯片和Pro/TOOLKIT开发，材料为Ti-6Al-4V",
        "c++ c# a.b x-1 3d 1.5mm node.js、.net 2-3 a++ b+",
        "ＳＧ３５２５電動汽車的研究",
        "纯中文没有拉丁字母的句子。",
        "",
    ]
    for analyzer in (Analyzer(), Analyzer(stopwords=["的", "研究", "pro", "c++", "1.5mm"])):
        for text in samples:
            expected = [
                t for t in analyzer._segment(normalize(text)) if t not in analyzer.stopwords
            ]
            assert analyzer.tokens(text) == expected


def test_offsets_follow_characters_that_fold_into_several():
    assert normalize_with_offsets("Ｘ㎡臺灣ΣＡ") == ("xm2台湾σa", [0, 1, 1, 2, 3, 4, 5])
    assert normalize_with_offsets("电机控制") == ("电机控制", [0, 1, 2, 3])
