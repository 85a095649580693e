"""A quantity every device has (温度, 压力, 寿命…) is evidence beside a phrase naming the thing, never a
match on its own while the query names something else."""

from kechuang.matching.evidence import PROPERTY_WORDS, properties_only


def test_property_words_alone_are_no_match_unless_the_query_has_nothing_else():
    assert {"温度", "压力", "寿命", "功率"} <= PROPERTY_WORDS
    # problems that name a testing discipline are no property words
    assert not {"振动", "噪声", "腐蚀", "疲劳"} & PROPERTY_WORDS
    assert properties_only(["温度"], ["控制器", "过热", "温度"])
    assert properties_only(["温度", "压力"], ["空压机", "温度", "压力"])
    assert not properties_only(["横封", "温度"], ["横封", "温度"])
    assert not properties_only(["温度"], ["温度", "压力"])  # the query asks for quantities only
    assert not properties_only([], ["控制器", "温度"])


def test_a_dimension_alone_is_no_match():
    # a leather tester's 高度 of its sample and a laser tracker's 半径 of its range were the only
    # evidence for a crimp-height check and a ready-meal shelf life (product bench, 2026-12-07)
    assert {"高度", "半径", "宽度", "角度", "距离"} <= PROPERTY_WORDS
    assert properties_only(["高度"], ["线束", "端子", "压接", "高度"])
    assert not properties_only(["压接", "高度"], ["线束", "端子", "压接", "高度"])


def test_a_cycle_time_or_a_limit_met_alone_is_no_match():
    # 节拍 (the ECU line's 90 s a part) is a quantity of every production line, like 产量; 达标 (a
    # limit met) is a target of every standard: alone it was a TOC analyser's evidence for a car
    # interior's odour, beside 出水 and 废水 it marks a treatment that meets its discharge limit
    assert properties_only(["达标"], ["内饰", "气味", "达标"])
    assert not properties_only(["出水", "达标"], ["废水", "出水", "达标"])
    assert properties_only(["节拍"], ["ecu", "下线", "节拍"])
    assert not properties_only(["下线", "节拍"], ["ecu", "下线", "节拍"])


def test_a_cause_is_asked_of_a_named_problem():
    # 原因 beside 断裂 is what a failure-analysis service finds; an expert's 成因 of something else
    # was the only evidence for a leather chromium demand
    assert properties_only(["成因"], ["皮革", "六价铬", "成因"])
    assert not properties_only(["断裂", "原因"], ["断裂", "原因", "断口"])


def test_what_every_instrument_states_or_device_does_is_no_match_alone():
    # a TEM's 分辨率 for a corner radar's 角分辨率, a fuel-cell bench's 启动 for a brushless
    # controller's 无感启动, a software-adaptation platform's 国产化 for diagnostic reagents
    assert properties_only(["分辨率"], ["角雷达", "虚警率", "分辨率"])
    assert properties_only(["启动"], ["无刷", "控制器", "启动"])
    assert properties_only(["国产化"], ["化学发光", "试剂", "国产化"])
    assert not properties_only(["燃料电池", "启动"], ["燃料电池", "冷启动", "启动"])


def test_the_condition_a_test_is_run_at_is_no_match_alone():
    # a metals lab's 室温与高温拉伸 was an organisation's evidence for a power module that warps in
    # reflow (the demand measured its flatness 在室温下)
    assert properties_only(["室温"], ["功率模块", "翘曲", "室温"])
    assert properties_only(["常温"], ["电池", "常温"])
    assert not properties_only(["翘曲", "室温"], ["功率模块", "翘曲", "室温"])
