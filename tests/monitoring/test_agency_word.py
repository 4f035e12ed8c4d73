"""The agency's 绩效运行监控表 in Word (issue 21 item 4): every published sheet of one agency at a point, in the
per-sheet file's common layout, from the agency's monitoring table and with its permissions — a report the reader
may not open yet shows its state only; another agency's reader gets nothing."""

from __future__ import annotations

import datetime
import io
from urllib.parse import quote

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitoring import services
from workflow import services as moves

from tests.monitoring.conftest import spent
from tests.monitoring.test_report import fill

APRIL = datetime.date(2024, 4, 30)


@pytest.fixture
def agency_sheets(sichuan, make_sheet, publish):
    """办公室's sheets at the end of April: one reported and waiting for the leader, one reported in draft, one with
    no report; and one of the business section."""
    org = sichuan
    waiting, drafting, silent = (publish(make_sheet(title=t)) for t in ("已报送项目", "填报中项目", "未填报项目"))
    for sheet, amount in ((waiting, "2.50"), (drafting, "1.25"), (silent, "3.00")):
        spent(sheet, APRIL, amount, org.owner)
    report = services.report_open(sheet=waiting, point_date=APRIL, user=org.owner)
    fill(report, org.owner)
    moves.document_submit(document=report, user=org.owner)
    moves.document_approve(document=report, user=org.head)  # now at the leader
    services.report_open(sheet=drafting, point_date=APRIL, user=org.owner)
    return org, waiting, drafting, silent


def url(code: str, **more) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"year": 2024, "point": APRIL.isoformat(), "agency": code, **more}.items())
    return f"/monitoring/?{query}&format=docx"


def parts(content: bytes) -> tuple[str, list]:
    document = docx.Document(io.BytesIO(content))
    return "\n".join(p.text for p in document.paragraphs), document.tables


def test_the_leader_gets_every_sheet_of_the_agency_with_the_rows_they_may_read(client, agency_sheets):
    org, waiting, drafting, silent = agency_sheets
    client.force_login(org.leader)
    table = client.get(f"/monitoring/?year=2024&point={APRIL}&agency={org.agency.code}").content.decode()
    assert "导出本单位绩效运行监控表（Word）" in table

    answer = client.get(url(org.agency.code))
    assert answer.status_code == 200 and "attachment" in answer["Content-Disposition"]
    assert quote(f"绩效运行监控表-{org.agency.code}-20240430.docx") in answer["Content-Disposition"]
    text, tables = parts(answer.content)
    assert text.count("项目支出绩效目标执行监控表") == 3  # one part per sheet, in the table's order
    assert text.count("（2024年度 · 4月底，截至 2024-04-30）") == 3
    titles = [t.rows[0].cells[1].text for t in tables if t.rows[0].cells[0].text == "项目名称"]
    assert titles == [waiting.display_title, drafting.display_title, silent.display_title]

    # the report at the leader: its rows as the per-sheet file shows them
    indicators = next(t for t in tables if t.rows[0].cells[0].text == "一级指标")
    row = next(r for r in indicators.rows if r.cells[2].text == "服务事项")
    assert [c.text for c in row.cells][3:9] == ["≥10个", "1个", "年底完成 10 个", "有可能", "人员保障", "增派人员"]
    assert "相差 15.00 个百分点" in row.cells[9].text
    assert {r.cells[2].text for r in indicators.rows[1:]} == {"服务事项", "系统正常运行率", "按时完成率", "经费控制数", "营商环境", "群众满意度"}
    # each report's light: its worst (the spending and the one indicator 四川's rule compares), as its page says
    assert "全表评价：红灯（取最差：红灯（红灯 1，绿灯 1））" in text  # 25% spent: green; 服务事项 15 points apart: red
    assert "全表评价：红灯（取最差：红灯（红灯 1））" in text  # 12.5% spent, below the line; nothing typed yet
    assert "4月底的运行监控表尚未填报。" in text  # no report: said so
    money = [t for t in tables if t.rows[0].cells[0].text == "年度预算数（万元）"]
    assert [c.text for c in money[1].rows[1].cells][:4] == ["10", "1.25", "12.5%", "红灯"]

    # finance reads a report from its step on: before, the state only
    client.force_login(org.finance)
    text, tables = parts(client.get(url(org.agency.code)).content)
    assert text.count("项目支出绩效目标执行监控表") == 3
    assert "运行监控表处于“局领导审批”状态，报送到您这一步后可查看内容。" in text
    assert "运行监控表处于“草稿”状态，报送到您这一步后可查看内容。" in text
    assert not [t for t in tables if t.rows[0].cells[0].text == "一级指标"]


def test_permissions_as_the_table(client, agency_sheets):
    org = agency_sheets[0]
    client.force_login(org.owner)  # a section's staff: not an overseer
    assert client.get(url(org.agency.code)).status_code == 403
    client.force_login(org.outsider_leader)  # another agency's leader: nothing of this agency
    answer = client.get(url(org.agency.code), follow=True)
    assert answer.redirect_chain and f"单位编码“{org.agency.code}”下没有您可以查看的已公开绩效目标表。" in answer.content.decode()
    client.force_login(org.leader)
    answer = client.get("/monitoring/?year=2024&format=docx", follow=True)
    assert "请先按单位编码筛选，再导出该单位的 Word 绩效运行监控表。" in answer.content.decode()
    client.logout()
    assert client.get(url(org.agency.code)).status_code == 302  # to the sign-in page


def test_the_file_costs_the_same_queries_for_more_sheets(client, agency_sheets, make_sheet, publish):
    org = agency_sheets[0]
    client.force_login(org.leader)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(org.agency.code)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(3):
        sheet = publish(make_sheet())
        spent(sheet, APRIL, "2.00", org.owner)
        report = services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
        fill(report, org.owner)
        moves.document_submit(document=report, user=org.owner)
        moves.document_approve(document=report, user=org.head)
    assert queries() == few
