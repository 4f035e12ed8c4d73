"""部门整体自评 (issue 22 item 2): an agency's department-wide self-evaluation over its published department-wide
goals, scored the same way as a sheet's, on the approval engine (局领导 → 财政审核 → 已公开).

Worked example: 489001's 2024 goals itemize three goals (90 split equally: 30 each); its one published sheet has a
budget of 50 万元 and 46 万元 reported at 12月底 → 执行率 92% → 9.20.
- 全年办理审批事项不少于1万件, quantified ≥10000件, actual 9000件 → 9000 / 10000 × 30 = 27.00
- 按时办结率保持在98%以上, quantified ≥98%, actual 99% → 30.00
- 营商环境持续改善, qualitative, 部分达成 → band [18, 24), scored 20 → 20.00
Total 9.20 + 27.00 + 30.00 + 20.00 = 86.20 → 良.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from evaluations import services
from evaluations.models import DepartmentEvaluation
from projects.models import DepartmentGoals
from tests.refusals import refused

GOALS = "全年办理审批事项不少于1万件\n按时办结率保持在98%以上\n营商环境持续改善"
START = "/agencies/489001/2024/evaluations/department/"


@pytest.fixture
def goals(org, worked_sheet):
    return DepartmentGoals.objects.create(
        agency=org.agency, fiscal_year=org.year, state="published", overall="提升审批服务效能", itemized=GOALS,
    )


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _form(evaluation, **rows) -> dict:
    data = {"version": evaluation.version, "spent": "46.00", "spent_reason": "", "conclusion": "总体完成年度目标。",
            "problems": "办件量未达预期。", "improvements": "优化审批流程。"}
    for row in evaluation.rows.order_by("order"):
        for name, value in rows.get(row.name, {}).items():
            data[f"row-{row.pk}-{name}"] = value
    return data


WORKED = {
    "全年办理审批事项不少于1万件": {"target": "≥10000件", "actual": "9000件", "reason": "申报量下降"},
    "按时办结率保持在98%以上": {"target": "≥98%", "actual": "99%"},
    "营商环境持续改善": {"level": "部分达成", "score": "20", "reason": "部分指标改善不明显"},
}


def _move(client, evaluation, move, **data):
    evaluation.refresh_from_db()
    answer = client.post(f"/department-evaluations/{evaluation.pk}/{move}/", {"version": evaluation.version, **data})
    assert answer.status_code == 302, answer.content
    evaluation.refresh_from_db()
    return evaluation


def test_the_leader_drafts_it_from_the_goals_and_finance_publishes_it_after_a_return(org, goals):
    leader, finance = _client(org.leader), _client(org.finance)
    assert 'data-testid="department-start"' in leader.get("/agencies/489001/2024/evaluations/").content.decode()
    answer = leader.post(START)
    evaluation = DepartmentEvaluation.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/department-evaluations/{evaluation.pk}/"
    # pre-filled: the three goals, 30 each, qualitative until quantified; the budget line of the published sheet
    rows = list(evaluation.rows.order_by("order").values_list("category", "name", "target", "weight"))
    assert [(c, n, t, str(w)) for c, n, t, w in rows] == [
        ("分项绩效目标", "全年办理审批事项不少于1万件", "达成年度目标", "30.00"),
        ("分项绩效目标", "按时办结率保持在98%以上", "达成年度目标", "30.00"),
        ("分项绩效目标", "营商环境持续改善", "达成年度目标", "30.00"),
    ]
    assert (str(evaluation.adjusted_budget), str(evaluation.spent)) == ("50.00", "46.00")

    # a score outside 部分达成's band [18, 24) is refused, nothing saved
    page = leader.post(f"/department-evaluations/{evaluation.pk}/", _form(evaluation, **{
        **WORKED, "营商环境持续改善": {"level": "部分达成", "score": "25"}}), follow=True).content.decode()
    assert "区间" in page and DepartmentEvaluation.objects.get().total is None

    assert leader.post(f"/department-evaluations/{evaluation.pk}/", _form(evaluation, **WORKED)).status_code == 302
    evaluation.refresh_from_db()
    assert (str(evaluation.budget_score), str(evaluation.total), evaluation.grade) == ("9.20", "86.20", "良")
    assert list(evaluation.rows.order_by("order").values_list("score", flat=True)) == [27, 30, 20]
    page = leader.get(f"/department-evaluations/{evaluation.pk}/").content.decode()
    # the rule and the numbers beside each score
    assert "正向指标：9000 ÷ 10000 × 30 = 27.00" in page and "评为“部分达成”，得分区间 [18, 24)" in page

    _move(leader, evaluation, "submit")
    assert evaluation.state == "finance_review"
    tasks = finance.get("/tasks/").content.decode()  # 待办 names it and links its page
    assert "测试县行政审批局本级2024年部门整体自评" in tasks and f"/department-evaluations/{evaluation.pk}/" in tasks
    assert _move(finance, evaluation, "return", comment="请补充存在问题").state == "returned"
    data = _form(evaluation, **WORKED)
    data["problems"] = "办件量未达预期；营商环境指标改善不明显。"
    assert leader.post(f"/department-evaluations/{evaluation.pk}/", data).status_code == 302
    _move(leader, evaluation, "submit", comment="已补充存在问题")
    assert _move(finance, evaluation, "approve").state == "published"
    # published: everyone signed in reads it; the agency view links it with its total
    view = finance.get("/agencies/489001/2024/evaluations/").content.decode()
    assert f'href="/department-evaluations/{evaluation.pk}/"' in view and "86.20" in view
    assert _client(org.outsider).get(f"/department-evaluations/{evaluation.pk}/").status_code == 200
    # and on the public agency page, without signing in
    public = _client(None).get("/public/agencies/489001/2024/").content.decode()
    assert f'href="/public/department-evaluations/{evaluation.pk}/"' in public and "86.20" in public
    table = _client(None).get(f"/public/department-evaluations/{evaluation.pk}/").content.decode()
    assert "全年办理审批事项不少于1万件" in table and "9000件" in table and "办件量未达预期；营商环境指标改善不明显。" in table
    # a publication date finance sets for the agency's year keeps it off the public pages until that day
    later = timezone.localdate() + datetime.timedelta(days=10)
    services.publication_set(agency=org.agency, year=2024, public_from=later, user=org.finance)
    assert _client(None).get(f"/public/department-evaluations/{evaluation.pk}/").status_code == 404
    assert "public-department" not in _client(None).get("/public/agencies/489001/2024/").content.decode()
    # no second one
    assert leader.post(START).status_code == 302 and DepartmentEvaluation.objects.count() == 1


def test_only_the_agencys_leader_starts_it_and_reads_its_draft(org, goals):
    for user in (org.owner, org.head, org.finance, org.outsider_leader):
        with refused(403, match="局领导"):
            services.department_evaluation_create(agency=org.agency, year=2024, user=user)
    for user in (org.owner, org.head, org.colleague, org.outsider, org.outsider_leader):
        assert _client(user).post(START).status_code == 404
    assert _client(None).post(START).status_code == 302  # to the login page
    assert not DepartmentEvaluation.objects.exists()
    evaluation = services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    url = f"/department-evaluations/{evaluation.pk}/"
    for user in (org.owner, org.head, org.colleague, org.outsider, org.outsider_leader):
        assert _client(user).get(url).status_code == 404
        assert _client(user).post(f"{url}submit/", {"version": evaluation.version}).status_code == 404
    anonymous = _client(None).get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert _client(None).get(f"/public/department-evaluations/{evaluation.pk}/").status_code == 404  # a draft
    assert "public-department" not in _client(None).get("/public/agencies/489001/2024/").content.decode()
    # finance reads it from its step on (as the engine's chain says), not a draft, and never changes it
    assert _client(org.finance).get(url).status_code == 404
    with refused(403, match="局领导"):
        services.department_evaluation_edit(evaluation=evaluation, user=org.finance, expected_version=evaluation.version, conclusion="改")
    with refused(412):
        services.department_evaluation_edit(evaluation=evaluation, user=org.leader, expected_version=evaluation.version - 1, conclusion="改")


def test_not_before_the_goals_are_published(org, worked_sheet):
    DepartmentGoals.objects.create(agency=org.agency, fiscal_year=org.year, state="draft", itemized=GOALS)
    with refused(409, match="部门整体绩效目标尚未公开"):
        services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)


def test_not_without_a_published_sheet_to_count_the_budget(org):
    DepartmentGoals.objects.create(agency=org.agency, fiscal_year=org.year, state="published", itemized=GOALS)
    with refused(409, match="无法计算部门整体的预算执行情况"):
        services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    assert not DepartmentEvaluation.objects.exists()


def test_waiting_at_finance_it_is_nudged_with_a_link_to_its_page(org, goals):
    """Submitted Tuesday 2025-06-03 10:00; Friday 06-06 it has waited 3 working days (more than 2): finance is nudged."""
    import datetime
    from zoneinfo import ZoneInfo

    from notifications.models import Channel, Kind, Notification
    from tests.notifications.test_nudges import nudge_on

    evaluation = services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    since = datetime.datetime(2025, 6, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    DepartmentEvaluation.objects.filter(pk=evaluation.pk).update(state="finance_review", state_since=since)
    assert nudge_on("2025-06-05") == []
    assert nudge_on("2025-06-06") == [("agency_finance", "催办：测试县行政审批局本级2024年部门整体自评")]
    note = Notification.objects.get(kind=Kind.NUDGE, channel=Channel.IN_APP)
    assert note.url.endswith(f"/department-evaluations/{evaluation.pk}/") and note.department_evaluation_id == evaluation.pk
    assert "部门整体自评表“测试县行政审批局本级2024年部门整体自评”已在“财政审核”等待 3 个工作日" in note.body


def test_a_move_checks_the_version_the_page_posted(org, goals):
    """As the self-evaluation's moves: a stale version is refused in Chinese and nothing moves; a form without a
    number moves on the state its page showed."""
    leader = _client(org.leader)
    leader.post(START)
    evaluation = DepartmentEvaluation.objects.get()
    assert leader.post(f"/department-evaluations/{evaluation.pk}/", _form(evaluation, **WORKED)).status_code == 302
    evaluation.refresh_from_db()
    url = f"/department-evaluations/{evaluation.pk}/submit/"
    page = leader.post(url, {"version": evaluation.version - 1}, follow=True)
    assert "请刷新页面后再操作" in page.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == "draft"
    assert leader.post(url, {"version": ""}).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state != "draft"
