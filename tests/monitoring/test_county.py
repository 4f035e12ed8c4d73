"""运行监控汇总 (issue 21 item 4): the leader's and finance's table of their agencies' published sheets at one point,
filters by grade and point, keyset pages, a fixed number of queries per page; refused to a section's staff, to the
anonymous; another agency's sheets never shown."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from monitoring import services
from tests.monitoring.conftest import spent

APRIL = datetime.date(2024, 4, 30)


@pytest.fixture
def county(sichuan, make_sheet, publish):
    """Three published sheets of 办公室: 12.5% (red), 25% (green) and 30% with a report graded red; one of the other
    agency, 10% (red)."""
    org = sichuan
    low, on_line, reported = (publish(make_sheet(title=t)) for t in ("低支出项目", "正常项目", "已填报项目"))
    spent(low, APRIL, "1.25", org.owner)
    spent(on_line, APRIL, "2.50", org.owner)
    spent(reported, APRIL, "3.00", org.owner)
    report = services.report_open(sheet=reported, point_date=APRIL, user=org.owner)
    rows = {row.name: row.pk for row in report.rows.all()}
    services.report_edit(report=report, user=org.owner, expected_version=report.version,
                         rows={rows["服务事项"]: {"current": "1个"}})  # 10% done against 30% spent: red
    return org, low, on_line, reported


def api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_leader_sees_the_agencys_sheets_with_their_lights(county):
    org, low, on_line, reported = county
    answer = api(org.leader).get("/api/monitoring/", {"year": 2024, "point": "2024-04-30"})
    assert answer.status_code == 200, answer.content
    data = answer.json()
    mine = {row["sheet"]: row for row in data["rows"] if row["agency"] == org.agency.code}
    assert {row["agency"] for row in data["rows"]} == {org.agency.code}  # never the other agency's
    assert (mine[low.pk]["spending"]["percent"], mine[low.pk]["spending"]["colour"]) == ("12.50", "red")
    assert mine[low.pk]["spending"]["how"] == "累计支出 12.5% 低于预警线 25%，预警"
    assert (mine[on_line.pk]["spending"]["colour"], mine[on_line.pk]["report"]) == ("green", None)
    assert mine[reported.pk]["report"]["colour"] == "red" and mine[reported.pk]["report"]["state"] == "draft"
    red = api(org.finance).get("/api/monitoring/", {"year": 2024, "point": "2024-04-30", "grade": "red"}).json()
    assert [row["sheet"] for row in red["rows"]] == [reported.pk]
    none = api(org.finance).get("/api/monitoring/", {"year": 2024, "point": "2024-04-30", "grade": "none"}).json()
    assert {low.pk, on_line.pk} <= {row["sheet"] for row in none["rows"]} and reported.pk not in {r["sheet"] for r in none["rows"]}
    june = api(org.leader).get("/api/monitoring/", {"year": 2024, "point": "2024-06-30"}).json()
    assert next(r for r in june["rows"] if r["sheet"] == low.pk)["spending"]["amount"] is None  # not reported in June


def test_keyset_pages_and_a_fixed_number_of_queries(county, make_sheet, publish):
    org = county[0]
    client = api(org.leader)
    seen, after = [], None
    while True:
        params = {"year": 2024, "point": "2024-04-30", "agency": org.agency.code, "size": 2}
        if after:
            params["after"] = after
        page = client.get("/api/monitoring/", params).json()
        seen += [row["sheet"] for row in page["rows"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 3

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/monitoring/", {"year": 2024, "point": "2024-04-30", "size": size}).status_code == 200
        return len(captured)

    small = queries(1)
    for _ in range(3):
        sheet = publish(make_sheet())
        services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)  # a report on each row read
    assert queries(6) == small


def test_refused_to_staff_to_the_anonymous_and_the_other_agency_sees_only_its_own(county, client):
    org = county[0]
    assert api(org.owner).get("/api/monitoring/", {"year": 2024}).status_code == 403
    assert api(None).get("/api/monitoring/", {"year": 2024}).status_code in (401, 403)
    other = api(org.outsider_leader).get("/api/monitoring/", {"year": 2024, "point": "2024-04-30"}).json()
    assert all(row["agency"] != org.agency.code for row in other["rows"])
    assert api(org.leader).get("/api/monitoring/", {"year": 2024, "grade": "purple"}).status_code == 400
    assert client.get("/monitoring/").status_code == 302  # to the login
    client.force_login(org.owner)
    assert client.get("/monitoring/").status_code == 403
    assert 'data-testid="nav-monitoring"' not in client.get("/sheets/").content.decode()
    client.force_login(org.leader)
    page = client.get("/monitoring/", {"year": 2024, "point": "2024-04-30"}).content.decode()
    assert "低支出项目" in page and "累计支出 12.5% 低于预警线 25%，预警" in page
    assert 'data-testid="nav-monitoring">运行监控</a>' in page


def test_finance_reads_a_report_from_its_step_on(county, client):
    org, _low, _on_line, reported = county
    report = reported.monitoring_reports.get()
    client.force_login(org.finance)
    page = client.get("/monitoring/", {"year": 2024, "point": "2024-04-30"}).content.decode()
    assert "低支出项目" in page and report.get_absolute_url() not in page  # a draft: not theirs to open
    client.force_login(org.leader)
    assert report.get_absolute_url() in client.get("/monitoring/", {"year": 2024, "point": "2024-04-30"}).content.decode()


def test_the_excel_export_keeps_text_as_text(county, client):
    import io

    from openpyxl import load_workbook

    from projects.models import Project

    org, low, _on_line, _reported = county
    Project.objects.filter(pk=low.project_id).update(name='=HYPERLINK("http://evil")')
    type(low).objects.filter(pk=low.pk).update(title="")  # the sheet is named by its project
    low.refresh_from_db()
    client.force_login(org.owner)
    assert client.get("/monitoring/", {"year": 2024, "format": "xlsx"}).status_code == 403
    client.force_login(org.finance)
    answer = client.get("/monitoring/", {"year": 2024, "point": "2024-04-30", "agency": org.agency.code, "format": "xlsx"})
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["单位", "项目编码", "项目名称", "科室", "累计支出（万元）", "累计支出进度（%）"]
    evil = next(row for row in rows if row[1] == low.project.code)
    assert evil[2] == '=HYPERLINK("http://evil")' and sheet.cell(rows.index(evil) + 1, 3).data_type == "s"
    assert (evil[4], evil[5], evil[6]) == (1.25, 12.5, "红灯")
    assert len(rows) == 4  # the header and the agency's three sheets, never the other agency's


def test_the_page_costs_a_fixed_number_of_queries_whatever_it_shows(county, make_sheet, publish, client):
    """The page reads the year's pack and the year together, then its rows in one statement: the page's ids with
    each sheet's names, its spending at the point, its report and its 处置 — none per row."""
    org = county[0]
    client.force_login(org.leader)
    url = "/monitoring/?year=2024&point=2024-04-30"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200
        return [q["sql"] for q in captured.captured_queries], page.content.decode()

    few, page = queries()
    assert page.count('data-testid="county-row"') == 3
    for n in range(4):
        sheet = publish(make_sheet(title=f"更多项目{n}"))
        spent(sheet, APRIL, "1.00", org.owner)
        services.report_open(sheet=sheet, point_date=APRIL, user=org.owner)
    services.disposals_run(day=datetime.date(2024, 5, 1))  # 处置 for the red ones
    many, page = queries()
    assert page.count('data-testid="county-row"') == 7 and "2024-05-16 前" in page
    assert len(many) == len(few), "\n".join(q[:120] for q in many)
    monitoring = [q for q in many if ("monitoring_" in q or "projects_spend" in q or "projects_checkpoint" in q)
                  and "COUNT(" not in q]  # not the nav's count of 待办
    # the pack (with the year's id); the rows with their spending, reports and open 处置, in one statement
    assert len(monitoring) == 2, "\n".join(q[:160] for q in monitoring)
    assert len(many) <= 8, "\n".join(q[:120] for q in many)


# The table's row as the template wrote it before it was written in Python (``county_rows``): the same markup.
TEMPLATE_ROW = """{% for row in page.rows %}<tr data-testid="county-row"><td data-label="单位">{{ row.sheet.agency.unit_line }}</td>\
<td data-label="项目"><a href="{% url 'sheet_monitoring' row.sheet.pk %}">{{ row.sheet.display_title }}</a>\
<div class="muted code">{{ row.sheet.project.code }}</div></td><td data-label="科室">{{ row.sheet.section.name|default:"—" }}</td>\
<td data-label="累计支出进度">{% if row.spending.amount is None %}<span class="muted">未填报</span>{% else %}{{ row.spending.actual }}%{% endif %}</td>\
<td data-label="支出灯"><span class="level level-{{ row.money.colour }}" title="{{ row.money.how }}">{{ row.money.label }}</span></td>\
<td data-label="运行监控表">{% if row.report %}{% if row.report_readable %}<a href="{{ row.report.get_absolute_url }}">\
{{ row.report.get_state_display }}</a>{% else %}{{ row.report.get_state_display }}{% endif %}{% if row.report.colour %} \
<span class="level level-{{ row.report.colour }}">{{ row.report_label }}</span>{% endif %}{% else %}<span class="muted">未填报</span>\
{% endif %}</td><td data-label="处置">{% if row.disposal %}<a href="{{ row.disposal.get_absolute_url }}">\
{{ row.disposal.due|date:"Y-m-d" }} 前</a>{% if row.disposal.consequence %} <span class="level level-red">\
{{ row.disposal.consequence }}</span>{% endif %}{% else %}—{% endif %}</td></tr>{% endfor %}"""


def test_the_rows_written_in_python_say_what_the_template_said(county, make_sheet, publish):
    """Every kind of cell: a sheet named by its project, one without spending, a report readable or not with its
    light, a 处置 with its deadline and its consequence (暂停执行), a title that needs escaping."""
    from django.template import engines

    from monitoring import county as county_reads
    from monitoring.models import Disposal
    from monitoring.templatetags.county_rows import county_rows
    from projects.models import Project

    org, low, _on_line, reported = county
    Project.objects.filter(pk=low.project_id).update(name="<b>低支出</b>&项目")
    type(low).objects.filter(pk=low.pk).update(title="")
    publish(make_sheet(title="未填报项目"))
    services.disposals_run(day=datetime.date(2024, 5, 1))
    services.disposals_run(day=datetime.date(2024, 5, 17))  # past the deadline: 暂停执行 recorded
    assert Disposal.objects.filter(consequence="暂停执行").exists()
    template = engines["django"].from_string(TEMPLATE_ROW)
    for user in (org.leader, org.finance):  # the report readable by the leader, not by finance (a draft)
        page = county_reads.county_page(user, year=2024, point="2024-04-30")
        assert len(page.rows) == 4
        assert str(county_rows(page.rows)) == template.render({"page": page})
        if user == org.leader:
            shown = str(county_rows(page.rows))
            assert "&lt;b&gt;低支出&lt;/b&gt;&amp;项目" in shown and "暂停执行" in shown and "未填报" in shown
            assert reported.monitoring_reports.get().get_absolute_url() in shown
