"""The monitoring's doors (pages and API): the report typed through PUT with If-Match and moved to 已办结, a stale
write refused, the OpenAPI schema; and every new door refuses the other section, the other agency and the anonymous
user (a published sheet is public, its monitoring is not)."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.test import APIClient

from monitoring.models import Disposal, MonitoringReport
from tests.monitoring.conftest import spent
from tests.monitoring.test_disposal import ADJUST, run_reminders

APRIL = "2024-04-30"


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def published(sichuan, make_sheet, publish):
    sheet = publish(make_sheet())
    spent(sheet, datetime.date(2024, 4, 30), "2.50", sichuan.owner)
    return sheet


def rows_body(report_json, **by_name):
    ids = {row["indicator"]: row["id"] for row in report_json["rows"]}
    return {"rows": [{"id": ids[name], **values} for name, values in by_name.items()]}


FILLED = {
    "服务事项": {"current": "1个", "likelihood": "有可能", "reason_kind": "人员保障", "measures": "增派人员"},
    "系统正常运行率": {"current": "99%"}, "按时完成率": {"current": "96%"}, "经费控制数": {"current": "2.5万元"},
    "营商环境": {"level": "部分达到"}, "群众满意度": {"current": "96%"},
}


def test_report_through_the_api_from_put_to_done(api, sichuan, published):
    org = sichuan
    owner = api(org.owner)
    listing = owner.get(f"/api/sheets/{published.pk}/monitoring/")
    assert listing.status_code == 200
    assert [(p["point"], p["expected"], p["report"]) for p in listing.json()] == [
        ("2024-04-30", "25.00", None), ("2024-06-30", "40.00", None), ("2024-08-31", "60.00", None),
        ("2024-10-31", "80.00", None),
    ]
    url = f"/api/sheets/{published.pk}/monitoring/{APRIL}/"
    assert owner.get(url).status_code == 404  # not started
    # the first PUT starts the report (201) and types what it sends; the row ids come from the report it answers
    started = owner.put(url, {"rows": []}, format="json")
    assert started.status_code == 201, started.content
    body = rows_body(started.json(), **FILLED)
    assert owner.put(url, body, format="json").status_code == 428  # If-Match required once it exists
    assert owner.put(url, body, format="json", HTTP_IF_MATCH='"1-1"').status_code == 412
    answer = owner.put(url, body, format="json", HTTP_IF_MATCH=started["ETag"])
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["spending"] == {"amount": "2.50", "percent": "25.00", "planned": "25.00", "line": "25.00", "colour": "green",
                                "label": "绿灯", "how": "累计支出 25% 不低于预警线 25%"}
    row = next(r for r in data["rows"] if r["indicator"] == "服务事项")
    assert (row["colour"], row["reason_required"], row["likelihood"], row["reason_kind"]) == ("red", True, "possible", "staff")
    assert row["how"] == "完成进度 1 ÷ 10 = 10.00%，支出进度 25%，相差 15.00 个百分点（超过 10）"
    assert (data["colour"], data["missing"]) == ("red", [])
    assert api(org.owner).post(url + "submit/", {}, format="json").status_code == 200
    assert api(org.head).post(url + "approve/", {}, format="json").status_code == 200
    assert api(org.leader).post(url + "approve/", {}, format="json").status_code == 200
    done = api(org.finance).post(url + "approve/", {}, format="json")
    assert (done.status_code, done.json()["state"], done.json()["state_label"]) == (200, "published", "已办结")


def test_bad_input_is_refused_in_chinese_and_nothing_changes(api, sichuan, published):
    owner = api(sichuan.owner)
    url = f"/api/sheets/{published.pk}/monitoring/{APRIL}/"
    started = owner.put(url, {"rows": []}, format="json")
    body = rows_body(started.json(), 服务事项={"current": "五个"})
    refused = owner.put(url, body, format="json", HTTP_IF_MATCH=started["ETag"])
    assert refused.status_code == 400 and "服务事项" in refused.json()["detail"]
    assert owner.get(url).json()["rows"][0]["current"] == ""
    bad_point = owner.put(f"/api/sheets/{published.pk}/monitoring/2024-05-31/", {"rows": []}, format="json")
    assert bad_point.status_code == 404 and "不是2024年“四川省”的监控时点" in bad_point.json()["detail"]
    assert owner.get(f"/api/sheets/{published.pk}/monitoring/april/").status_code == 400


def test_every_door_refuses_the_other_section_the_other_agency_and_the_anonymous(api, client, sichuan, published):
    org = sichuan
    url = f"/api/sheets/{published.pk}/monitoring/{APRIL}/"
    started = api(org.owner).put(url, {"rows": []}, format="json")
    etag = started["ETag"]
    run_reminders("2024-05-01")  # nothing red here (25% on the line): a 处置 of another red sheet below
    red = Disposal.objects.create(
        sheet=published, agency=published.agency, section=published.section, point_date=datetime.date(2024, 4, 30),
        pack=MonitoringReport.objects.get(sheet=published).pack, state="draft", warned_on=datetime.date(2024, 5, 1),
        due=datetime.date(2024, 5, 16), options=["确定继续执行", ADJUST, "取消项目"],
    )
    for user in (org.colleague, org.colleague_head, org.outsider, org.outsider_leader, None):
        who = api(user)
        expected = 403 if user is None else 404
        for answer in (
            who.get(f"/api/sheets/{published.pk}/monitoring/"), who.get(url),
            who.put(url, {"rows": []}, format="json", HTTP_IF_MATCH=etag), who.post(url + "submit/", {}, format="json"),
            who.get(f"/api/monitoring/disposals/{red.pk}/"),
            who.put(f"/api/monitoring/disposals/{red.pk}/", {"choice": ADJUST}, format="json", HTTP_IF_MATCH=red.etag),
            who.post(f"/api/monitoring/disposals/{red.pk}/submit/", {}, format="json"),
        ):
            assert answer.status_code in (expected, 401), (user, answer.status_code, answer.content)
        client.logout()
        if user is not None:
            client.force_login(user)
        for page in (f"/sheets/{published.pk}/monitoring/", f"/sheets/{published.pk}/monitoring/{APRIL}/",
                     f"/monitoring/disposals/{red.pk}/"):
            answer = client.get(page)
            assert answer.status_code == (302 if user is None else 404), (user, page, answer.status_code)
        answer = client.post(f"/sheets/{published.pk}/monitoring/{APRIL}/submit/")
        assert answer.status_code == (302 if user is None else 404)
    # the sheet's page shows no monitoring link to the other section (the sheet itself is public)
    client.force_login(org.colleague)
    assert "运行监控" not in client.get(f"/sheets/{published.pk}/").content.decode()
    # the section head reads the draft but may not edit it, nor decide the 处置
    head = api(org.head)
    assert head.get(url).status_code == 200
    assert head.put(url, {"rows": []}, format="json", HTTP_IF_MATCH=etag).status_code == 403
    assert head.put(f"/api/monitoring/disposals/{red.pk}/", {"choice": ADJUST}, format="json",
                    HTTP_IF_MATCH=red.etag).status_code == 404  # not on the 处置's chain
    # finance sees the report only from its step on
    assert api(org.finance).get(url).status_code == 404


def test_the_form_page_saves_and_shows_the_numbers(client, sichuan, published):
    org = sichuan
    client.force_login(org.owner)
    page = client.get(f"/sheets/{published.pk}/monitoring/").content.decode()
    assert "开始填报" in page and "4月底" in page
    answer = client.post(f"/sheets/{published.pk}/monitoring/{APRIL}/")
    assert answer.status_code == 302
    report = MonitoringReport.objects.get(sheet=published)
    rows = {row.name: row.pk for row in report.rows.all()}
    post = {"version": report.version}
    for name, values in FILLED.items():
        for key, value in values.items():
            post[f"row-{rows[name]}-{key}"] = {"有可能": "possible", "人员保障": "staff"}.get(value, value)
    answer = client.post(f"/sheets/{published.pk}/monitoring/{APRIL}/", post)
    assert answer.status_code == 302
    page = client.get(f"/sheets/{published.pk}/monitoring/{APRIL}/").content.decode()
    assert "完成进度 1 ÷ 10 = 10.00%，支出进度 25%，相差 15.00 个百分点（超过 10）" in page
    assert "累计支出 25% 不低于预警线 25%" in page and "取最差：红灯" in page
    post["version"] = 1  # stale
    answer = client.post(f"/sheets/{published.pk}/monitoring/{APRIL}/", post)
    assert "您的修改未保存" in answer.content.decode()


def test_the_schema_names_the_monitoring_doors(api, sichuan):
    schema = api(sichuan.owner).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"get", "put"} <= set(paths["/api/sheets/{id}/monitoring/{point}/"])
    assert "get" in paths["/api/sheets/{id}/monitoring/"]
    assert "post" in paths["/api/sheets/{id}/monitoring/{point}/{move}/"]
    assert {"get", "put"} <= set(paths["/api/monitoring/disposals/{id}/"])


def test_the_report_as_a_word_file_in_the_common_layout(client, sichuan, published):
    import io

    import docx

    from monitoring import services

    org = sichuan
    report = services.report_open(sheet=published, point_date=datetime.date(2024, 4, 30), user=org.owner)
    rows = {row.name: row.pk for row in report.rows.all()}
    services.report_edit(report=report, user=org.owner, expected_version=report.version, rows={
        rows["服务事项"]: {"current": "1个", "forecast": "年底完成 10 个", "likelihood": "有可能", "reason_kind": "人员保障",
                          "reason_note": "窗口人员调整", "measures": "增派人员"},
    })
    url = f"/sheets/{published.pk}/monitoring/{APRIL}/export.docx"
    client.force_login(org.outsider_leader)
    assert client.get(url).status_code == 404
    client.force_login(org.head)
    answer = client.get(url)
    assert answer.status_code == 200 and "attachment" in answer["Content-Disposition"]
    document = docx.Document(io.BytesIO(answer.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "项目支出绩效目标执行监控表" in text and "（2024年度 · 4月底，截至 2024-04-30）" in text
    indicators = document.tables[2]
    assert [c.text for c in indicators.rows[0].cells][:5] == ["一级指标", "二级指标", "三级指标", "年度指标值", "当前完成值"]
    row = next(r for r in indicators.rows if r.cells[2].text == "服务事项")
    assert [c.text for c in row.cells][3:9] == ["≥10个", "1个", "年底完成 10 个", "有可能", "人员保障：窗口人员调整", "增派人员"]
    assert "相差 15.00 个百分点" in row.cells[9].text
    money = document.tables[1]
    assert [c.text for c in money.rows[1].cells][:4] == ["10", "2.5", "25%", "绿灯"]
