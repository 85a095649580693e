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
