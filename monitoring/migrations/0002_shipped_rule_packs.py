"""The four rule packs of issue 21's table, each with its source (RULES.md → 双监控). Written out here, not read
from the app, so that a fresh database gets exactly what this migration shipped."""

from django.db import migrations

DEFAULT_SOURCE = (
    "targetflow 现行规则：资金支出时间节点 3月底 25%、6月底 50%、10月底 75%、12月底 100%；实际支出低于计划 10 个百分点以内"
    "黄色预警，超过红色预警，未填报按 0% 计；时点后的第一个工作日发出预警；低于计划须填写进度说明"
    "（spending.services.level_for、notifications.reminders）。"
)
SICHUAN_SOURCE = (
    "川财绩〔2025〕10号（据二手资料，待财政局确认）；《四川省部门预算绩效运行监控管理办法》解读：4月起预警，监控月份次月1日发出；"
    "4、6、8、10月底累计支出分别低于 25%、40%、60%、80% 预警；目标完成进度与支出进度偏差超过 10 个百分点预警；"
    "10 个工作日内选择确定继续执行、调剂预算（含绩效目标调整）或取消项目，逾期未选择的暂停执行；调剂或取消的，"
    "15 个工作日内报送方案；连续 3 次预警的列入现场核查。"
)
SHANXI_SOURCE = (
    "山西省预算绩效管理一体化系统监控模块内置规则：标准值 = 年度指标值 × 月份/12，当前完成值 ÷ 标准值，数量、效益、满意度指标"
    " <60% 红灯、60%–<80% 黄灯、80%–<120% 绿灯、≥120% 蓝灯；质量、时效、成本指标和 ≤、< 指标在界限内绿灯，否则红灯；"
    "定性指标达到预期目标绿灯、部分达到预期目标并具备一定效果黄灯、未达到预期目标红灯；支出 v = 执行率 ÷ (月份/12) × 100，"
    "<60 红灯、60–<80 黄灯、≥80 绿灯；红灯、黄灯须说明原因。"
)
HEBEI_SOURCE = (
    "冀财绩〔2022〕4号：对 1–6月执行情况监控一次，7月报送（据高校转发的通知）；一体化系统河北模式：正向指标当前完成值超过"
    "年度指标值 15%（可配置）的须作偏差说明；支出预警同现行规则。"
)

PACKS = [
    {
        "code": "default", "name": "现行规则", "region": "", "source": DEFAULT_SOURCE, "confidence": "F",
        "is_default": True,
        "points": [
            {"date": "03-31", "expected": "25", "report_by": "03-31"},
            {"date": "06-30", "expected": "50", "report_by": "06-30"},
            {"date": "10-31", "expected": "75", "report_by": "10-31"},
            {"date": "12-31", "expected": "100", "report_by": "12-31"},
        ],
        "warning_timing": "next_workday",
        "spending_rule": "below_plan", "spending_thresholds": {"yellow_max_behind": "10"},
        "attainment_rule": "none", "attainment_thresholds": {},
        "reason_colours": ["red", "yellow"],
        "note": "报送截止日即时点当日（提前 7 天和 1 天提醒）。",
    },
    {
        "code": "sichuan", "name": "四川省", "region": "四川省", "source": SICHUAN_SOURCE, "confidence": "2nd",
        "points": [
            {"date": "04-30", "expected": "25", "report_by": "04-30"},
            {"date": "06-30", "expected": "40", "report_by": "06-30"},
            {"date": "08-31", "expected": "60", "report_by": "08-31"},
            {"date": "10-31", "expected": "80", "report_by": "10-31"},
            {"date": "12-31", "expected": "100", "report_by": "12-31", "monitored": False},
        ],
        "warning_timing": "next_month_first",
        "spending_rule": "below_line", "spending_thresholds": {"colour": "red"},
        "attainment_rule": "gap_with_spending", "attainment_thresholds": {"max_gap": "10", "colour": "red"},
        "reason_colours": ["red"],
        "disposal_options": ["确定继续执行", "调剂预算（含绩效目标调整）", "取消项目"], "disposal_workdays": 10,
        "overdue_consequence": "暂停执行",
        "proposal_options": ["调剂预算（含绩效目标调整）", "取消项目"], "proposal_workdays": 15,
        "consecutive_warnings": 3, "consecutive_consequence": "列入现场核查",
        "note": (
            "未确认（U）：报送截止日（暂按时点当日）；“偏差超过 10 个百分点”的口径（暂按数量型指标的完成进度与支出进度之差的绝对值）；"
            "方案期限从作出处置选择之日起算；须说明原因的灯色。12月底时点只用于资金支出计划，不预警。"
        ),
    },
    {
        "code": "shanxi", "name": "山西省", "region": "山西省", "source": SHANXI_SOURCE, "confidence": "F",
        "points": [
            {"date": "03-31", "expected": "25", "report_by": "03-31"},
            {"date": "06-30", "expected": "50", "report_by": "06-30"},
            {"date": "09-30", "expected": "75", "report_by": "09-30"},
            {"date": "12-31", "expected": "100", "report_by": "12-31"},
        ],
        "warning_timing": "next_workday",
        "spending_rule": "time_ratio", "spending_thresholds": {"red_below": "60", "yellow_below": "80"},
        "attainment_rule": "standard_ratio",
        "attainment_thresholds": {
            "red_below": "60", "yellow_below": "80", "blue_from": "120",
            "ratio_kinds": ["数量", "效益", "满意度"], "bound_kinds": ["质量", "时效", "成本"], "prorate_percent": True,
        },
        "reason_colours": ["red", "yellow"],
        "note": "监控时点按年度设定：本包按季度末提供，请复制后按当年通知修改。百分比指标是否也按月份折算标准值未确认（U）。",
    },
    {
        "code": "hebei", "name": "河北省", "region": "河北省", "source": HEBEI_SOURCE, "confidence": "F",
        "points": [
            {"date": "06-30", "expected": "50", "report_by": "07-31"},
            {"date": "12-31", "expected": "100", "report_by": "12-31", "monitored": False},
        ],
        "warning_timing": "next_workday",
        "spending_rule": "below_plan", "spending_thresholds": {"yellow_max_behind": "10"},
        "attainment_rule": "deviation_note", "attainment_thresholds": {"over_percent": "15"},
        "reason_colours": ["red", "yellow"],
        "note": "7月报送，截止日暂按 7月31日（U）。12月底时点只用于资金支出计划，不预警。",
    },
]


def ship(apps, schema_editor):
    RulePack = apps.get_model("monitoring", "RulePack")
    for pack in PACKS:
        RulePack.objects.update_or_create(code=pack["code"], defaults={**pack, "shipped": True})


def unship(apps, schema_editor):
    """Takes back the packs no year chose (a chosen one stays: the year's record keeps it)."""
    RulePack = apps.get_model("monitoring", "RulePack")
    RulePack.objects.filter(code__in=[p["code"] for p in PACKS], shipped=True, year_choices__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(ship, unship)]
