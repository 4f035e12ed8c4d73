"""The self-evaluation's API (issue 22 item 7): the worked example typed through PATCH, a draft driven to 已公开 with a
return, the refusals at every new door, a refused band and weight total, a stale write, the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from evaluations.models import SelfEvaluation
from workflow.models import Event


@pytest.fixture
def api(org):
    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


def created(api, org, sheet) -> int:
    answer = api(org.owner).post(f"/api/sheets/{sheet.pk}/evaluation/")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def patch(client, pk, body, *, etag=None):
    if etag is None:
        etag = client.get(f"/api/evaluations/{pk}/")["ETag"]
    return client.patch(f"/api/evaluations/{pk}/", body, format="json", HTTP_IF_MATCH=etag)


def worked_example(rows: dict) -> dict:
    """Issue 22's worked example as typed into the form:
    调整后预算数 50 万元, 执行数 46 万元 → 执行率 92% → 9.20
    办件量 ≥10000件, 9000件, 分值 30 → 9000 ÷ 10000 × 30 = 27.00
    按时办结率 ≥98%, 99%, 分值 20 → 20.00
    投诉率 ≤2%, 2.5%, 分值 15 → (1 − (2.5 − 2) ÷ 2) × 15 = 11.25
    可持续影响 (定性) 部分达成, 分值 15, band [9, 12), the evaluator gives 10.5
    满意度 ≥90%, 95%, 分值 10 → 10.00
    total 87.95 → 良. A score sent for a quantitative row (办件量: 30) is ignored."""
    return {
        "spent": "46",
        "rows": [
            {"id": rows["办件量"], "weight": "30", "actual": "9000件", "score": "30", "reason": "窗口人员调整"},
            {"id": rows["按时办结率"], "weight": 20, "actual": "99%"},
            {"id": rows["投诉率"], "actual": "2.5%", "reason": "新系统上线初期投诉增多"},
            {"id": rows["可持续影响"], "level": "部分达成", "score": "10.5", "reason": "长效机制尚在建立"},
            {"id": rows["满意度"], "actual": "95%"},
        ],
        "conclusion": "基本完成年度目标。", "problems": "办件量未达预期。", "improvements": "优化窗口配置。",
    }


def test_the_worked_example_of_issue_22_through_the_api(api, org, worked_sheet):
    pk = created(api, org, worked_sheet)
    owner = api(org.owner)
    shown = owner.get(f"/api/evaluations/{pk}/").json()
    assert shown["state"] == "draft" and shown["spent"] == "46.00" and shown["total"] is None
    rows = {r["indicator"]: r["id"] for r in shown["rows"]}
    answer = patch(owner, pk, worked_example(rows))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [(r["indicator"], r["weight"], r["level"], r["score"]) for r in body["rows"]] == [
        ("办件量", "30.00", "", "27.00"),
        ("按时办结率", "20.00", "", "20.00"),
        ("投诉率", "15.00", "", "11.25"),
        ("可持续影响", "15.00", "部分达成", "10.50"),
        ("满意度", "10.00", "", "10.00"),
    ]
    assert body["rows"][0]["how"] == "正向指标：9000 ÷ 10000 × 30 = 27.00"
    assert body["rows"][3]["band"] == ["9.00", "12.00"]
    assert (body["budget_score"], body["rate"], body["total"], body["grade"]) == ("9.20", "92.00", "87.95", "良")
    assert body["missing"] == []


def test_from_draft_to_published_with_a_return(api, org, worked_sheet):
    pk = created(api, org, worked_sheet)
    owner, head, leader, finance = (api(u) for u in (org.owner, org.head, org.leader, org.finance))
    refused = owner.post(f"/api/evaluations/{pk}/submit/", {}, format="json")
    assert refused.status_code == 400 and "实际完成值" in refused.json()["detail"]
    rows = {r["indicator"]: r["id"] for r in owner.get(f"/api/evaluations/{pk}/").json()["rows"]}
    patch(owner, pk, worked_example(rows))
    assert owner.post(f"/api/evaluations/{pk}/submit/", {}, format="json").json()["state"] == "section_review"
    assert owner.post(f"/api/evaluations/{pk}/withdraw/", {}, format="json").json()["state"] == "draft"
    assert owner.post(f"/api/evaluations/{pk}/submit/", {}, format="json").json()["state"] == "section_review"
    assert head.post(f"/api/evaluations/{pk}/approve/", {}, format="json").json()["state"] == "leader_review"
    returned = leader.post(f"/api/evaluations/{pk}/return/", {"comment": "请补充存在问题"}, format="json")
    assert returned.json()["state"] == "returned"
    assert patch(owner, pk, {"problems": "办件量未达预期；投诉率偏高。"}).status_code == 200
    assert owner.post(f"/api/evaluations/{pk}/submit/", {"comment": "已补充"}, format="json").json()["state"] == "section_review"
    head.post(f"/api/evaluations/{pk}/approve/", {}, format="json")
    leader.post(f"/api/evaluations/{pk}/approve/", {}, format="json")
    done = finance.post(f"/api/evaluations/{pk}/approve/", {}, format="json").json()
    assert (done["state"], done["state_label"], done["total"], done["grade"]) == ("published", "已公开", "87.95", "良")
    history = Event.objects.filter(evaluation_id=pk).values_list("action", "actor__username")
    assert list(history) == [
        ("submit", "owner"), ("withdraw", "owner"), ("submit", "owner"), ("approve", "office_head"), ("return", "agency_leader"), ("submit", "owner"),
        ("approve", "office_head"), ("approve", "agency_leader"), ("publish", "agency_finance"),
    ]
    # published: nobody edits it any more
    assert patch(owner, pk, {"conclusion": "改"}).status_code == 409


def test_refusals_at_every_new_door(api, org, worked_sheet):
    """The other section's 经办人 and 科室负责人, the other agency's people and the anonymous user: refused at the
    creation, the read, the edit and every move; nothing changes."""
    outsiders = {"colleague": org.colleague, "colleague_head": org.colleague_head, "outsider": org.outsider,
                 "outsider_leader": org.outsider_leader, "anonymous": None}
    for name, user in outsiders.items():
        answer = api(user).post(f"/api/sheets/{worked_sheet.pk}/evaluation/")
        assert answer.status_code in (403, 404), (name, answer.status_code)
    assert not SelfEvaluation.objects.exists()
    pk = created(api, org, worked_sheet)
    etag = api(org.owner).get(f"/api/evaluations/{pk}/")["ETag"]
    doors = [
        ("get", f"/api/evaluations/{pk}/", None),
        ("patch", f"/api/evaluations/{pk}/", {"conclusion": "改"}),
        *(("post", f"/api/evaluations/{pk}/{move}/", {"comment": "意见"}) for move in ("submit", "approve", "return", "withdraw")),
    ]
    for name, user in outsiders.items():
        client = api(user)
        for method, url, body in doors:
            if name == "colleague_head" and method == "get":
                continue  # a section head of another section of the agency sees no draft of 办公室: refused below
            answer = getattr(client, method)(url, body, format="json", HTTP_IF_MATCH=etag)
            assert answer.status_code in (403, 404), (name, method, url, answer.status_code)
    # the leader may read a draft of their agency but not edit it, nor submit it
    leader = api(org.leader)
    assert leader.get(f"/api/evaluations/{pk}/").status_code == 200
    assert patch(leader, pk, {"conclusion": "改"}).status_code == 403
    assert leader.post(f"/api/evaluations/{pk}/submit/", {}, format="json").status_code == 403
    evaluation = SelfEvaluation.objects.get(pk=pk)
    assert (evaluation.version, evaluation.state, evaluation.conclusion) == (1, "draft", "")
    assert not Event.objects.filter(evaluation_id=pk).exists()


def test_a_refused_band_a_refused_weight_total_and_a_stale_write(api, org, worked_sheet):
    pk = created(api, org, worked_sheet)
    owner = api(org.owner)
    rows = {r["indicator"]: r["id"] for r in owner.get(f"/api/evaluations/{pk}/").json()["rows"]}
    band = patch(owner, pk, {"rows": [{"id": rows["可持续影响"], "level": "部分达成", "score": "12"}]})
    assert band.status_code == 400
    assert band.json()["detail"] == "“可持续影响”评为“部分达成年度指标并具有一定效果”，得分应在 [9, 12) 之间，填写的 12 分不在此区间。"
    weights = patch(owner, pk, {"rows": [{"id": rows["满意度"], "weight": "5"}]})
    assert weights.status_code == 400
    assert weights.json()["detail"] == "各项指标分值合计为 85 分，应为 90 分（另 10 分为预算执行率），请调整分值。"
    unit = patch(owner, pk, {"rows": [{"id": rows["办件量"], "actual": "9000个"}]})
    assert unit.status_code == 400 and "单位“个”与指标值的单位“件”不一致" in unit.json()["detail"]
    too_long = patch(owner, pk, {"conclusion": "好" * 201})
    assert too_long.status_code == 400 and "最多 200 个字" in too_long.json()["detail"]
    old = owner.get(f"/api/evaluations/{pk}/")["ETag"]
    assert patch(owner, pk, {"conclusion": "第一次"}, etag=old).status_code == 200
    stale = patch(owner, pk, {"conclusion": "第二次"}, etag=old)
    assert stale.status_code == 412 and "您的修改未保存" in stale.json()["detail"]
    assert owner.patch(f"/api/evaluations/{pk}/", {"conclusion": "x"}, format="json").status_code == 428
    assert SelfEvaluation.objects.get(pk=pk).conclusion == "第一次"


def test_in_the_openapi_schema(api, org):
    schema = api(org.owner).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/sheets/{id}/evaluation/", "/api/evaluations/{id}/", "/api/evaluations/{id}/submit/",
                 "/api/evaluations/{id}/approve/", "/api/evaluations/{id}/return/", "/api/evaluations/{id}/withdraw/"):
        assert path in schema["paths"], path
    assert set(schema["paths"]["/api/evaluations/{id}/"]) >= {"get", "patch"}
