"""部门整体自评's doors besides its pages (issue 22 item 2): its REST API (create, read, PATCH with If-Match, the moves),
its Word 部门整体支出绩效自评表 and its line in the agency's Excel summary — each with its pages' permissions.

The worked example of test_department: 489001's three itemized goals (30 each); its one published sheet's budget 50 万元,
46 万元 spent → 执行率 92% → 9.20; 全年办理审批事项不少于1万件 quantified ≥10000件, actual 9000件 → 27.00;
按时办结率保持在98%以上 quantified ≥98%, actual 99% → 30.00; 营商环境持续改善 qualitative 部分达成 scored 20 → 20.00;
total 86.20 → 良.
"""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from evaluations import services
from evaluations.models import DepartmentEvaluation
from tests.evaluations.test_department import GOALS, goals  # noqa: F401 — the fixture
from workflow.models import Event

CREATE = "/api/agencies/489001/2024/department-evaluation/"


def _api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _client(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _patch(client, pk, body, *, etag=None):
    if etag is None:
        etag = client.get(f"/api/department-evaluations/{pk}/")["ETag"]
    return client.patch(f"/api/department-evaluations/{pk}/", body, format="json", HTTP_IF_MATCH=etag)


def _worked(rows: dict) -> dict:
    return {
        "spent": "46",
        "rows": [
            {"id": rows["全年办理审批事项不少于1万件"], "target": "≥10000件", "actual": "9000件", "reason": "申报量下降"},
            {"id": rows["按时办结率保持在98%以上"], "target": "≥98%", "actual": "99%", "score": "1"},  # score ignored
            {"id": rows["营商环境持续改善"], "level": "部分达成", "score": "20", "reason": "部分指标改善不明显"},
        ],
        "conclusion": "总体完成年度目标。", "problems": "办件量未达预期。", "improvements": "优化审批流程。",
    }


def _rows(client, pk) -> dict:
    return {row["goal"]: row["id"] for row in client.get(f"/api/department-evaluations/{pk}/").json()["rows"]}


def test_the_worked_example_from_draft_to_published_with_a_return_through_the_api(org, goals):  # noqa: F811
    leader, finance = _api(org.leader), _api(org.finance)
    answer = leader.post(CREATE)
    assert answer.status_code == 201, answer.content
    pk = answer.json()["id"]
    assert answer["Location"] == f"/api/department-evaluations/{pk}/"
    assert leader.post(CREATE).status_code == 409  # one per agency and year

    body = leader.get(f"/api/department-evaluations/{pk}/")
    assert body.status_code == 200 and body["ETag"] == f'"{pk}-1"'
    read = body.json()
    assert (read["agency"], read["year"], read["state"], read["adjusted_budget"]) == ("489001", 2024, "draft", "50.00")
    assert [(r["goal"], r["target"], r["weight"], r["rule"]) for r in read["rows"]] == [
        ("全年办理审批事项不少于1万件", "达成年度目标", "30.00", "qualitative"),
        ("按时办结率保持在98%以上", "达成年度目标", "30.00", "qualitative"),
        ("营商环境持续改善", "达成年度目标", "30.00", "qualitative"),
    ]

    edited = _patch(leader, pk, _worked(_rows(leader, pk)))
    assert edited.status_code == 200, edited.content
    data = edited.json()
    assert (data["budget_score"], data["total"], data["grade"], data["missing"]) == ("9.20", "86.20", "良", [])
    assert [r["score"] for r in data["rows"]] == ["27.00", "30.00", "20.00"]
    assert data["rows"][0]["how"] == "正向指标：9000 ÷ 10000 × 30 = 27.00"
    assert data["rows"][2]["band"] == ["18.00", "24.00"]

    assert leader.post(f"/api/department-evaluations/{pk}/submit/", {}, format="json").json()["state"] == "finance_review"
    returned = finance.post(f"/api/department-evaluations/{pk}/return/", {"comment": "请补充存在问题"}, format="json")
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    assert _patch(leader, pk, {"problems": "办件量未达预期；营商环境改善不明显。"}).status_code == 200
    assert leader.post(f"/api/department-evaluations/{pk}/submit/", {"comment": "已补充"}, format="json").status_code == 200
    published = finance.post(f"/api/department-evaluations/{pk}/approve/", {}, format="json")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert [(e.action, e.actor.username) for e in Event.objects.filter(department_evaluation_id=pk).order_by("id")] == [
        ("submit", "agency_leader"), ("return", "agency_finance"), ("submit", "agency_leader"), ("publish", "agency_finance"),
    ]
    assert _patch(leader, pk, {"conclusion": "改"}).status_code == 409  # published: nobody edits it any more
    # published: everyone signed in reads it, as its page
    assert _api(org.outsider).get(f"/api/department-evaluations/{pk}/").status_code == 200


def test_the_other_section_the_other_agency_and_the_anonymous_user_are_refused_at_every_door(org, goals):  # noqa: F811
    outsiders = {"owner": org.owner, "head": org.head, "colleague": org.colleague, "colleague_head": org.colleague_head,
                 "outsider": org.outsider, "outsider_leader": org.outsider_leader, "anonymous": None}
    for name, user in outsiders.items():
        assert _api(user).post(CREATE).status_code in (403, 404), name
    assert not DepartmentEvaluation.objects.exists()
    pk = _api(org.leader).post(CREATE).json()["id"]
    etag = _api(org.leader).get(f"/api/department-evaluations/{pk}/")["ETag"]
    doors = [
        ("get", f"/api/department-evaluations/{pk}/", None),
        ("patch", f"/api/department-evaluations/{pk}/", {"conclusion": "改"}),
        *(("post", f"/api/department-evaluations/{pk}/{move}/", {"comment": "意见"})
          for move in ("submit", "approve", "return", "withdraw")),
    ]
    for name, user in outsiders.items():
        client = _api(user)
        for method, url, body in doors:
            answer = getattr(client, method)(url, body, format="json", HTTP_IF_MATCH=etag)
            assert answer.status_code in (401, 403, 404), (name, method, url, answer.status_code)
        word = _client(user).get(f"/department-evaluations/{pk}/evaluation.docx")
        assert word.status_code in (302, 404), (name, word.status_code)  # the anonymous user: to the login page
        assert _client(user).get(f"/public/department-evaluations/{pk}/evaluation.docx").status_code == 404, name
    # finance acts from its step on: a draft is not theirs to read, edit or approve
    finance = _api(org.finance)
    assert finance.get(f"/api/department-evaluations/{pk}/").status_code == 404
    assert finance.post(f"/api/department-evaluations/{pk}/approve/", {}, format="json").status_code == 404
    evaluation = DepartmentEvaluation.objects.get(pk=pk)
    assert (evaluation.version, evaluation.state, evaluation.conclusion) == (1, "draft", "")
    assert not Event.objects.filter(department_evaluation_id=pk).exists()


def test_a_stale_if_match_is_refused_and_changes_nothing(org, goals):  # noqa: F811
    leader = _api(org.leader)
    pk = leader.post(CREATE).json()["id"]
    old = leader.get(f"/api/department-evaluations/{pk}/")["ETag"]
    assert _patch(leader, pk, {"conclusion": "第一次"}, etag=old).status_code == 200
    stale = _patch(leader, pk, {"conclusion": "第二次"}, etag=old)
    assert stale.status_code == 412 and "您的修改未保存" in stale.json()["detail"]
    assert leader.patch(f"/api/department-evaluations/{pk}/", {"conclusion": "x"}, format="json").status_code == 428
    rows = _rows(leader, pk)
    band = _patch(leader, pk, {"rows": [{"id": rows["营商环境持续改善"], "level": "部分达成", "score": "25"}]})
    assert band.status_code == 400 and "区间" in band.json()["detail"]
    evaluation = DepartmentEvaluation.objects.get(pk=pk)
    assert (evaluation.conclusion, evaluation.version, evaluation.state) == ("第一次", 2, "draft")
    # complete, then submitted on a version someone has since changed: refused, still a draft
    complete = _patch(leader, pk, _worked(rows))
    assert complete.status_code == 200 and complete["ETag"] == f'"{pk}-3"'
    stale_move = leader.post(f"/api/department-evaluations/{pk}/submit/", {}, format="json", HTTP_IF_MATCH=f'"{pk}-2"')
    # (the engine answers a move on a stale version as it does for every document: 409, refresh and act again)
    assert stale_move.status_code == 409 and "请刷新页面后再操作" in stale_move.json()["detail"]
    assert DepartmentEvaluation.objects.get(pk=pk).state == "draft"
    fresh = leader.post(f"/api/department-evaluations/{pk}/submit/", {}, format="json", HTTP_IF_MATCH=f'"{pk}-3"')
    assert fresh.status_code == 200 and fresh.json()["state"] == "finance_review"


def test_in_the_openapi_schema(org):
    paths = _api(org.owner).get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ("/api/agencies/{code}/{year}/department-evaluation/", "/api/department-evaluations/{id}/",
                 *(f"/api/department-evaluations/{{id}}/{move}/" for move in ("submit", "approve", "return", "withdraw"))):
        assert path in paths, path
    assert set(paths["/api/department-evaluations/{id}/"]) >= {"get", "patch"}


def _scored(org) -> DepartmentEvaluation:
    evaluation = services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    rows = {row.name: row.pk for row in evaluation.rows.all()}
    data = _worked(rows)
    data["rows"] = {row.pop("id"): row for row in data["rows"]}
    services.department_evaluation_edit(evaluation=evaluation, user=org.leader, expected_version=evaluation.version, **data)
    return DepartmentEvaluation.objects.get(pk=evaluation.pk)


def _docx_text(answer) -> tuple[list[list[str]], str]:
    content = b"".join(answer.streaming_content)
    document = docx.Document(io.BytesIO(content))
    table = document.tables[0]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    return cells, "\n".join(p.text for p in document.paragraphs)


def test_the_word_table_opens_and_holds_the_goals_and_scores(org, goals):  # noqa: F811
    evaluation = _scored(org)
    answer = _client(org.leader).get(f"/department-evaluations/{evaluation.pk}/evaluation.docx")
    assert answer.status_code == 200
    assert "部门整体绩效自评表.docx" in answer["Content-Disposition"] or "filename*=" in answer["Content-Disposition"]
    cells, text = _docx_text(answer)
    assert "部门整体支出绩效自评表" in text and "（2024年度）" in text
    rows = {row[1]: row for row in cells}
    assert rows["全年办理审批事项不少于1万件"][3:9] == ["≥", "10000", "件", "9000件", "30.00", "27.00"]
    assert rows["按时办结率保持在98%以上"][3:9] == ["≥", "98", "%", "99%", "30.00", "30.00"]
    assert rows["营商环境持续改善"][3] == "定性" and rows["营商环境持续改善"][6:9] == [
        "部分达成年度指标并具有一定效果", "30.00", "20.00"]
    assert rows["营商环境持续改善"][9] == "部分指标改善不明显"
    flat = [cell for row in cells for cell in row]
    assert "92.00%" in flat and "9.20" in flat and "86.20" in flat and "等级：良" in flat
    assert "提升审批服务效能" in flat  # 年度总体目标: the goals' 总体绩效目标
    assert "总体完成年度目标。" in flat
    # not public before finance published it
    assert Client().get(f"/public/department-evaluations/{evaluation.pk}/evaluation.docx").status_code == 404


def test_published_its_word_table_is_public_and_its_line_is_in_the_excel_summaries(org, goals):  # noqa: F811
    evaluation = _scored(org)
    DepartmentEvaluation.objects.filter(pk=evaluation.pk).update(state="published", state_since=timezone.now())
    cells, text = _docx_text(Client().get(f"/public/department-evaluations/{evaluation.pk}/evaluation.docx"))
    assert any("86.20" in row for row in cells) and "公开日期" in text
    assert "public/department-evaluations" in Client().get(f"/public/department-evaluations/{evaluation.pk}/").content.decode()
    for client, url in ((_client(org.finance), "/agencies/489001/2024/evaluations.xlsx"),
                        (Client(), "/public/agencies/489001/2024/evaluations.xlsx")):
        answer = client.get(url)
        assert answer.status_code == 200, url
        book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)))
        values = [[cell for cell in row] for row in book.active.iter_rows(values_only=True)]
        department = [row for row in values if row[4] == "测试县行政审批局本级部门整体自评"]
        assert len(department) == 1, url
        line = department[0]
        assert (line[6], line[9], line[10], line[11], line[13], line[14]) == ("已公开", 46, 92, 9.2, 86.2, "良"), url


def test_the_excel_summary_of_the_agency_shows_a_draft_line_but_the_public_one_does_not(org, goals):  # noqa: F811
    _scored(org)
    answer = _client(org.finance).get("/agencies/489001/2024/evaluations.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active.iter_rows(values_only=True))
    assert [(row[6], row[13], row[14]) for row in rows if row[4] == "测试县行政审批局本级部门整体自评"] == [("草稿", 86.2, "良")]
    public = Client().get("/public/agencies/489001/2024/evaluations.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(public.streaming_content))).active.iter_rows(values_only=True))
    assert not any(row[4] == "测试县行政审批局本级部门整体自评" for row in rows)


@pytest.mark.parametrize("user", ["outsider", "outsider_leader", "colleague"])
def test_the_agency_excel_summary_is_refused_to_who_may_not_see_the_agency_view(org, goals, user):  # noqa: F811
    _scored(org)
    assert _client(getattr(org, user)).get("/agencies/489001/2024/evaluations.xlsx").status_code == 404
