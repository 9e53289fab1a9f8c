import pytest

from loaders import model

GOOD_WELL = {"kind": "well", "status": "已出水", "lon": 112.10, "lat": 32.34, "name": "太山村抗旱井", "depth_m": "260"}


def messages_for(record):
    with pytest.raises(model.ValidationError) as caught:
        model.validate_point(record)
    return caught.value.messages


def test_every_status_has_one_of_the_four_stages():
    for kind in model.KINDS.values():
        assert kind.statuses, kind.key
        for status in kind.statuses:
            assert status.stage in model.STAGES


def test_statuses_grouped_by_stage_follow_the_chosen_kinds():
    wells = model.statuses_by_stage(["well"])
    assert wells == {"待办": ["规划"], "进行中": ["钻井中"], "已完成": ["已出水"], "已关闭": ["干井"]}
    everything = model.statuses_by_stage()
    assert "已转社情民意" in everything["已关闭"] and "已解决" in everything["已完成"]
    assert everything["已关闭"].count("已撤销") == 1  # shared by two kinds, listed once


def test_a_good_record_is_normalised():
    clean = model.validate_point({**GOOD_WELL, "kind": "水井", "opened_on": "2022/3/5"})
    assert clean["kind"] == "well"
    assert clean["depth_m"] == 260.0
    assert clean["opened_on"] == "2022-03-05"


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"kind": "tower"}, "字段「类型」的值「tower」无效"),
        ({"status": "已解决"}, "字段「状态」的值「已解决」不是水井的状态"),
        ({"status": ""}, "字段「状态」不能为空"),
        ({"name": "  "}, "字段「名称」不能为空"),
        ({"name": "长" * 101}, "字段「名称」的值「长长长长长长长长长长长长长长长长长长长长…」太长（101 字，最多 100 字）"),
        ({"lon": "abc"}, "字段「经度」的值「abc」不是数字"),
        ({"lat": 95}, "字段「纬度」的值「95」超出中国范围"),
        ({"depth_m": "深"}, "字段「井深(米)」的值「深」不是数字"),
        ({"depth_m": -3}, "字段「井深(米)」的值「-3」超出范围（0–1500）"),
        ({"opened_on": "2022-13-01"}, "字段「登记日期」的值「2022-13-01」不是有效日期"),
        ({"opened_on": "2023-05-01", "resolved_on": "2023-04-01"}, "字段「完成日期」的值「2023-04-01」早于登记日期「2023-05-01」"),
    ],
)
def test_each_bad_value_is_rejected_with_a_message_naming_field_and_value(change, expected):
    found = messages_for({**GOOD_WELL, **change})
    assert any(expected in m for m in found), found


def test_all_problems_are_reported_together():
    found = messages_for({**GOOD_WELL, "status": "x", "lon": None, "depth_m": "x"})
    assert len(found) == 3


def test_unknown_unit_code_is_rejected():
    found = messages_for_units({**GOOD_WELL, "unit_code": "999"}, {"420607102000"})
    assert found == ["字段「乡镇代码」的值「999」不是本区的乡镇代码"]


def messages_for_units(record, codes):
    with pytest.raises(model.ValidationError) as caught:
        model.validate_point(record, unit_codes=codes)
    return caught.value.messages
