"""Rule packs are data (issue 21 item 1): the shipped packs, their validation, copying in the admin, a year's pack."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from core.errors import AppError
from monitoring import selectors, services
from monitoring.models import RulePack, YearRulePack
from projects.models import Checkpoint, FiscalYear

URL = "/admin/monitoring/rulepack/"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("rules_admin", "rules_admin@example.gov.cn", "pw")


def form_data(pack: RulePack, **changes) -> dict:
    """The admin change form of ``pack`` as a browser posts it, with ``changes``."""
    import json

    data = {}
    for name in (
        "name", "code", "region", "source", "confidence", "note", "warning_timing", "spending_rule", "attainment_rule",
        "overdue_consequence", "consecutive_consequence",
    ):
        data[name] = getattr(pack, name)
    for name in ("points", "spending_thresholds", "attainment_thresholds", "reason_colours", "disposal_options", "proposal_options"):
        data[name] = json.dumps(getattr(pack, name), ensure_ascii=False)
    for name in ("disposal_workdays", "proposal_workdays", "consecutive_warnings"):
        value = getattr(pack, name)
        data[name] = "" if value is None else str(value)
    if pack.is_default:
        data["is_default"] = "on"
    data.update(changes)
    return data


def test_the_four_packs_of_the_issue_are_shipped_with_their_sources(db):
    shipped = {pack.code: pack for pack in RulePack.objects.filter(shipped=True)}
    assert set(shipped) == {"default", "sichuan", "shanxi", "hebei"}
    for pack in shipped.values():
        pack.full_clean()  # what the migration wrote passes the one validation
        assert pack.source and pack.confidence
    assert shipped["sichuan"].confidence == "2nd" and "川财绩〔2025〕10号" in shipped["sichuan"].source
    assert "冀财绩〔2022〕4号" in shipped["hebei"].source
    assert selectors.default_pack().code == "default"
    # the default pack's points are today's checkpoints (projects.models.DEFAULT_CHECKPOINTS)
    assert [(p.date, p.expected) for p in shipped["default"].points_in(2024)] == [
        (date(2024, 3, 31), 25), (date(2024, 6, 30), 50), (date(2024, 10, 31), 75), (date(2024, 12, 31), 100),
    ]
    sichuan = shipped["sichuan"].points_in(2024)
    assert [p.label for p in sichuan if p.monitored] == ["4月底", "6月底", "8月底", "10月底"]
    assert [p.expected for p in sichuan if p.monitored] == [25, 40, 60, 80]
    assert shipped["hebei"].points_in(2024)[0].report_by == date(2024, 7, 31)


def test_an_invalid_pack_is_refused_in_chinese(db):
    pack = RulePack(
        code="bad", name="有错的规则包", source="测试", confidence="U",
        points=[{"date": "06-30", "expected": "50"}, {"date": "02-29", "expected": "40"}],
        spending_rule="time_ratio", spending_thresholds={"red_below": "80", "yellow_below": "60"},
        attainment_rule="standard_ratio", attainment_thresholds={"red_below": "60"},
        reason_colours=["purple"], disposal_options=["继续执行"],
    )
    with pytest.raises(ValidationError) as caught:
        pack.full_clean()
    errors = caught.value.message_dict
    assert "第 2 个时点的日期“02-29”应写成“月-日”，如“06-30”（不能用 02-29）。" in errors["points"]
    assert "第 2 个时点的累计支出进度 40% 不能低于上一个时点的 50%（按累计数）。" in errors["points"]
    assert errors["spending_thresholds"] == ["支出预警规则的分档应从低到高：red_below < yellow_below。"]
    assert "目标完成规则缺少参数 yellow_below（低于此比例（%）为黄灯）。" in errors["attainment_thresholds"]
    assert errors["reason_colours"] == ["“需说明原因的灯色”中的“purple”不在可选范围内（red、yellow、blue、green）。"]
    assert errors["disposal_workdays"] == ["有处置选项时请填写处置期限（工作日）。"]


def test_a_shipped_pack_is_not_changed_only_copied(db):
    sichuan = RulePack.objects.get(code="sichuan")
    sichuan.disposal_workdays = 20
    with pytest.raises(ValidationError) as caught:
        sichuan.full_clean()
    assert caught.value.message_dict["disposal_workdays"] == [
        "系统内置的规则包按其依据文件提供，不能修改：请用“复制”做一份副本，修改副本后再用于年度。"
    ]
    copy = services.rule_pack_copy(pack=RulePack.objects.get(code="sichuan"))
    again = services.rule_pack_copy(pack=RulePack.objects.get(code="sichuan"))
    assert (copy.code, copy.name, again.code, again.name) == ("sichuan-copy", "四川省（副本）", "sichuan-copy-2", "四川省（副本）2")
    assert not copy.shipped and not copy.is_default and copy.copied_from.code == "sichuan"
    copy.disposal_workdays = 20
    copy.full_clean()
    copy.save()


def test_one_default_pack(db):
    default = RulePack.objects.get(code="default")
    default.is_default = False
    with pytest.raises(ValidationError, match="必须有一个默认规则包"):
        default.full_clean()
    copy = services.rule_pack_copy(pack=RulePack.objects.get(code="shanxi"))
    copy.is_default = True
    copy.save()
    assert list(RulePack.objects.filter(is_default=True)) == [copy]
    assert selectors.pack_for_year(2030) == copy  # a year without a choice uses the default


def test_the_admin_copies_a_pack_and_refuses_an_invalid_change(client, admin_user):
    client.force_login(admin_user)
    sichuan = RulePack.objects.get(code="sichuan")
    page = client.get(URL).content.decode()
    assert "监控规则包" in page and "复制选中的规则包" in page and "四川省" in page

    response = client.post(URL, {"action": "copy", "_selected_action": [sichuan.pk]}, follow=True)
    assert "已复制 1 个规则包：四川省（副本）。请打开副本修改，再为年度选用。" in response.content.decode()
    copy = RulePack.objects.get(code="sichuan-copy")
    assert copy.points == sichuan.points

    change = f"{URL}{copy.pk}/change/"
    response = client.post(change, form_data(copy, points='[{"date": "13-01", "expected": "120"}]'))
    assert response.status_code == 200  # the form again, with the messages
    page = response.content.decode()
    assert "第 1 个时点的日期“13-01”应写成“月-日”" in page
    assert "第 1 个时点的累计支出进度应为 0 到 100 之间的数字。" in page
    copy.refresh_from_db()
    assert copy.points == sichuan.points

    response = client.post(change, form_data(copy, name="某县（按四川规则）", disposal_workdays="15"))
    assert response.status_code == 302
    copy.refresh_from_db()
    assert (copy.name, copy.disposal_workdays) == ("某县（按四川规则）", 15)

    # a shipped pack's rules show read-only: a posted change of them is not taken
    response = client.post(f"{URL}{sichuan.pk}/change/", form_data(sichuan, disposal_workdays="99", note="已核对"))
    assert response.status_code == 302
    sichuan.refresh_from_db()
    assert (sichuan.disposal_workdays, sichuan.note) == (10, "已核对")


def test_a_year_without_sheets_switches_its_checkpoints_to_the_pack(db, admin_user):
    FiscalYear.get_or_create_with_defaults(2031)
    out = io.StringIO()
    call_command("monitoring_rules", "--year", "2031", "--use", "sichuan", "--by", "rules_admin", stdout=out)
    assert out.getvalue().strip() == "2031年改用监控规则包“四川省”（sichuan），资金支出时间节点已改为4月底、6月底、8月底、10月底、12月底。"
    assert [(cp.date, cp.planned_percent) for cp in Checkpoint.objects.filter(fiscal_year__year=2031)] == [
        (date(2031, 4, 30), Decimal("25.00")), (date(2031, 6, 30), Decimal("40.00")), (date(2031, 8, 31), Decimal("60.00")),
        (date(2031, 10, 31), Decimal("80.00")), (date(2031, 12, 31), Decimal("100.00")),
    ]
    choice = YearRulePack.objects.get(fiscal_year__year=2031)
    assert (choice.pack.code, choice.chosen_by, choice.checkpoints_changed) == ("sichuan", admin_user, True)
    assert selectors.pack_for_year(2031).code == "sichuan"

    # back to the default: recorded again; the year's points follow
    services.year_pack_use(year=2031, code="default")
    assert selectors.pack_for_year(2031).code == "default"
    assert YearRulePack.objects.filter(fiscal_year__year=2031).count() == 2
    out = io.StringIO()
    call_command("monitoring_rules", "--year", "2031", stdout=out)
    assert out.getvalue().startswith("2031年：现行规则（default），")

    # a pack a year uses keeps its points
    copy = services.rule_pack_copy(pack=RulePack.objects.get(code="shanxi"))
    services.year_pack_use(year=2032, code=copy.code)
    copy.points = [{"date": "12-31", "expected": "100"}]
    with pytest.raises(ValidationError, match="2032年正在使用这个规则包，监控时点不能再修改"):
        copy.full_clean()


def test_a_year_whose_sheets_plan_on_the_old_points_is_refused(demo):
    # the demo's 2024 sheets plan on 3月底, 6月底, 10月底, 12月底
    with pytest.raises(AppError) as caught:
        services.year_pack_use(year=2024, code="sichuan")
    assert caught.value.status == 409
    assert "2024年已有" in caught.value.message
    assert "张绩效目标表按原时间节点（3月底、6月底、10月底、12月底）编制了资金支出计划，不能改用“四川省”的监控时点（4月底、6月底、8月底、10月底、12月底）" in caught.value.message
    assert not YearRulePack.objects.filter(fiscal_year__year=2024).exists()
    assert Checkpoint.objects.filter(fiscal_year__year=2024).count() == 4
    with pytest.raises(CommandError, match="编制了资金支出计划"):
        call_command("monitoring_rules", "--year", "2024", "--use", "sichuan")
    # a pack with the same points as the year is chosen without touching them
    choice = services.year_pack_use(year=2024, code="default")
    assert not choice.checkpoints_changed
    with pytest.raises(CommandError, match="没有代码为“nowhere”的监控规则包"):
        call_command("monitoring_rules", "--year", "2024", "--use", "nowhere")
