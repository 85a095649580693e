"""The property → test-method map: every test word matches records only whole, and a demand's cues
select the families a testing engineer would read from it."""

from kechuang.matching.evidence import whole_words
from kechuang.matching.testmap import load_families, needs_of, parse_families
from kechuang.matching.text import Analyzer, normalize


def test_every_test_word_is_one_whole_word_of_the_analyzer():
    analyzer = Analyzer.from_files()
    split = {
        test: [w for w, _s, _e in whole_words(analyzer, normalize(test))]
        for family in load_families()
        for test in family.tests
    }
    assert {t: words for t, words in split.items() if words != [t]} == {}


def test_the_map_reads_problems_not_named_tests():
    needs = needs_of("橡胶膜片冬季零下40℃开裂，夏季发硬")
    assert [(n.family.label, n.cues) for n in needs] == [
        ("老化与耐候", ("发硬",)),
        ("低温与热转变", ("零下", "发硬")),
        ("力学性能", ("开裂",)),
    ]
    assert [n.family.label for n in needs_of("即食凉拌菜抽检致病菌阳性")] == ["微生物"]
    # a food's shelf life ends where microbes grow: 货架期 is one word (not 货架 + 期短)
    assert [(n.family.label, n.cues) for n in needs_of("冷藏预制菜货架期短")] == [
        ("微生物", ("货架期",))
    ]
    assert [n.family.label for n in needs_of("控制器装车后干扰收音机")] == ["电磁兼容"]
    assert needs_of("开发一套企业资源计划的审批流程") == []


def test_a_cue_inside_a_longer_cue_counts_once():
    [family] = parse_families(["疲劳 | 早期断裂 断裂 | 疲劳"])
    assert needs_of("台架试验中早期断裂", (family,))[0].cues == ("早期断裂",)


def test_cues_are_problems_not_parts_or_outcomes():
    def labels(text):
        return [n.family.label for n in needs_of(text)]

    # a cold start is a low-temperature start of any device, tested in a climatic chamber; only the
    # stack makes it a fuel cell's
    assert labels("车用进气压力传感器冬季冷启动时输出偏高") == ["环境可靠性"]
    assert labels("燃料电池重卡冬季电堆冷启动失败") == ["环境可靠性", "燃料电池"]
    # 密封 names the part (a seal, a sealing design); a leak is the problem
    assert labels("储氢瓶阀高压密封设计指导") == []
    assert labels("球阀密封面磨损后内漏") == ["磨损与耐磨", "密封与泄漏"]
    # 寿命 is an outcome every family shares: no test follows from it alone
    assert labels("热锻模具寿命短") == []
    assert labels("运动鞋底减重后DIN磨耗超标") == ["磨损与耐磨"]


def test_a_test_word_names_the_test_not_a_technique_or_a_trades_own_test():
    # 荧光 named a small-animal imager and a confocal microscope for a shelf-life demand's microbial
    # tests; 耐折 (a shoe's flex test) named the shoe flex tester for a rubber seal's compression set;
    # 鉴定 named the NMR and FTIR spectrometers (结构鉴定) and the spark spectrometer (牌号鉴定) for a
    # food pathogen demand — the microbial identifier says 微生物 and 培养 itself
    tests = {family.label: family.tests for family in load_families()}
    assert "荧光" not in tests["微生物"]
    assert "耐折" not in tests["力学性能"]
    assert "鉴定" not in tests["微生物"]
    # 质谱 named GC-MS and LC-MS for an element demand (the elements' one is ICP, 等离子体), and
    # 电子显微镜 the TEM for a fracture (the scanning microscope is one word)
    assert "质谱" not in tests["化学成分与元素"] and "等离子体" in tests["化学成分与元素"]
    assert "电子显微镜" not in tests["失效与内部缺陷"]
    assert "扫描电子显微镜" in tests["失效与内部缺陷"]
    assert {"pcr", "qpcr", "微生物", "培养"} <= set(tests["微生物"])


def test_the_map_reads_the_words_a_factory_uses_for_rust_virus_residue_condensation_and_eyes():
    def labels(text):
        return [n.family.label for n in needs_of(text)]

    # rust as a factory writes it; a stainless part (不锈钢) is no rust
    assert labels("车停一周盘面就起一层红锈") == ["腐蚀与镀层"]
    assert labels("出厂三个月外壳有锈迹") == ["腐蚀与镀层"]
    assert labels("不锈钢机柜门缝对不齐") == []
    # a food virus is found as a pathogen is, by RT-qPCR
    assert labels("冷冻贝肉出口被检出诺如病毒") == ["微生物"]
    # a sterilant's residue is an organic one, measured by gas chromatography
    assert labels("输液器环氧乙烷灭菌后残留超标") == ["有机物与散发"]
    # condensation is a climate the chamber makes
    assert labels("探头在清晨结露后误报警") == ["环境可靠性"]
    # defects picked by eye are what machine vision inspects
    assert labels("外观件靠检验员目检，漏检时有发生") == ["外观检验"]


def test_a_scream_is_a_noise_and_a_graphics_card_a_gpu():
    # a passenger's 尖叫 of a compressor is what its NVH test measures, as a 啸叫 is
    assert [n.family.label for n in needs_of("空压机高转速时尖叫，乘客投诉")] == ["噪声与振动"]
    # a factory writes 显卡 where a computing service writes GPU
    terms = Analyzer.from_files().query_terms("本地部署大模型，配了4张显卡")
    assert terms["gpu"] == Analyzer.synonym_weight
