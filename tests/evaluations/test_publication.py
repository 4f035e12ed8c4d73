"""Publication of the self-evaluations (issue 22 item 4) and the agency's view (item 2): finance's approval publishes
unless finance set a publication date for the agency's year (待公开 until then); /public/ shows the agency's year with
the targets and the public self-evaluations, each as Word 自评表, the summary as Excel; the agency's view (leader and
finance) with average, red and yellow flags and its Excel. Every new door refuses the other section, the other agency
and the anonymous user."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import docx
import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from evaluations import agency as agency_reads
from evaluations import services, tables
from evaluations.models import Publication, SelfEvaluation
from tests.evaluations.test_pages import WORKED_ROWS, form_of
from tests.refusals import refused


@pytest.fixture
def browser(org):
    def client_for(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return client_for


def _move(client, evaluation, move, **data):
    evaluation.refresh_from_db()
    answer = client.post(f"/evaluations/{evaluation.pk}/{move}/", {"version": evaluation.version, **data})
    assert answer.status_code == 302, answer.content
    evaluation.refresh_from_db()
    return evaluation


def _to_finance(browser, org, evaluation):
    """The worked example typed on the page, then 提交 → 科室审核 通过 → 局领导 退回 → revised and resubmitted →
    科室 and 局领导 通过: it waits at 财政审核."""
    owner, head, leader = browser(org.owner), browser(org.head), browser(org.leader)
    assert owner.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS)).status_code == 302
    _move(owner, evaluation, "submit")
    _move(head, evaluation, "approve")
    assert _move(leader, evaluation, "return", comment="请补充存在问题").state == "returned"
    evaluation.refresh_from_db()
    data = form_of(evaluation, **WORKED_ROWS)
    data["problems"] = "办件量未达预期；投诉率偏高。"
    assert owner.post(f"/evaluations/{evaluation.pk}/", data).status_code == 302
    _move(owner, evaluation, "submit", comment="已补充存在问题")
    _move(head, evaluation, "approve")
    return _move(leader, evaluation, "approve")


def test_draft_to_published_through_the_pages_and_shown_on_the_public_page(browser, org, evaluation):
    evaluation = _to_finance(browser, org, evaluation)
    assert evaluation.state == "finance_review"
    anonymous = browser(None)
    assert anonymous.get(f"/public/evaluations/{evaluation.pk}/").status_code == 404  # not yet approved by finance
    page = browser(org.finance).get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "通过并公开" in page
    evaluation = _move(browser(org.finance), evaluation, "approve")
    assert evaluation.state == "published"

    year_page = anonymous.get("/public/agencies/489001/2024/").content.decode()
    assert evaluation.sheet.project.name in year_page and "87.95" in year_page and ">良<" in year_page
    assert f'href="/public/evaluations/{evaluation.pk}/"' in year_page and f'href="/public/sheets/{evaluation.sheet_id}/"' in year_page
    table = anonymous.get(f"/public/evaluations/{evaluation.pk}/").content.decode()
    assert "项目支出绩效自评表（2024年度）" in table and "等级：良" in table and "办件量未达预期；投诉率偏高。" in table
    assert "9000件" in table and "≥" in table and "部分达成年度指标并具有一定效果" in table

    word = anonymous.get(f"/public/evaluations/{evaluation.pk}/evaluation.docx")
    assert word.status_code == 200 and "attachment" in word["Content-Disposition"]
    cells = [cell.text for row in docx.Document(io.BytesIO(b"".join(word.streaming_content))).tables[0].rows for cell in row.cells]
    assert "87.95" in cells and "等级：良" in cells and "9.20" in cells and "92.00%" in cells
    assert "办件量" in cells and "10000" in cells and "件" in cells and "9000件" in cells

    excel = anonymous.get("/public/agencies/489001/2024/evaluations.xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(excel.streaming_content)))["自评汇总"]
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]]))
    assert (row["项目名称"], row["总分"], row["等级"], row["执行率（%）"], row["状态"]) == (evaluation.sheet.project.name, 87.95, "良", 92, "已公开")


def test_a_publication_date_keeps_approved_ones_waiting_until_it(browser, org, evaluation):
    today = timezone.localdate()
    later = today + datetime.timedelta(days=30)
    finance = browser(org.finance)
    set_date = finance.post("/agencies/489001/2024/evaluations/", {"public_from": later.isoformat()})
    assert set_date.status_code == 302
    assert Publication.objects.get().public_from == later
    evaluation = _to_finance(browser, org, evaluation)
    assert f"通过（{later:%Y-%m-%d} 公开）" in finance.get(f"/evaluations/{evaluation.pk}/").content.decode()
    evaluation = _move(finance, evaluation, "approve")
    assert evaluation.state == "published"
    # 待公开: its people see it so; the public, the other agency and the other section do not see it at all
    assert f"待公开（{later:%Y-%m-%d} 公开）" in browser(org.owner).get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "待公开" in browser(org.owner).get("/evaluations/").content.decode()
    for user in (org.outsider, org.outsider_leader, org.colleague):
        assert browser(user).get(f"/evaluations/{evaluation.pk}/").status_code == 404
        assert evaluation.sheet.project.name not in browser(user).get("/evaluations/").content.decode()
        assert browser(user).get(f"/evaluations/{evaluation.pk}/evaluation.docx").status_code == 404
    anonymous = browser(None)
    assert anonymous.get(f"/public/evaluations/{evaluation.pk}/").status_code == 404
    assert anonymous.get(f"/public/evaluations/{evaluation.pk}/evaluation.docx").status_code == 404
    year_page = anonymous.get("/public/agencies/489001/2024/").content.decode()
    assert f"将于 {later:%Y-%m-%d} 与决算一同公开" in year_page and "87.95" not in year_page
    excel = anonymous.get("/public/agencies/489001/2024/evaluations.xlsx")
    assert load_workbook(io.BytesIO(b"".join(excel.streaming_content)))["自评汇总"].max_row <= 3  # header, no rows, 平均分
    # the day comes (read on every request: nothing has to run)
    Publication.objects.update(public_from=today)
    assert anonymous.get(f"/public/evaluations/{evaluation.pk}/").status_code == 200
    assert "87.95" in anonymous.get("/public/agencies/489001/2024/").content.decode()
    # public now: a later date would take back what everyone read, and is refused
    refused = finance.post("/agencies/489001/2024/evaluations/", {"public_from": later.isoformat()}, follow=True).content.decode()
    assert "已有 1 张自评表公开，不能再推迟公开日期" in refused
    assert Publication.objects.get().public_from == today


def test_the_publication_date_is_finances_and_checked(org, evaluation):
    today = timezone.localdate()
    for user in (org.leader, org.owner, org.head, org.outsider_leader):
        with refused(403, match="只有本单位的财政审核人"):
            services.publication_set(agency=org.agency, year=2024, public_from=today, user=user)
    with refused(400, match="公开日期不能早于今天"):
        services.publication_set(agency=org.agency, year=2024, public_from=today - datetime.timedelta(days=1), user=org.finance)
    assert not Publication.objects.exists()
    services.publication_set(agency=org.agency, year=2024, public_from=today + datetime.timedelta(days=3), user=org.finance)
    services.publication_set(agency=org.agency, year=2024, public_from=None, user=org.finance)  # removed: publish at once
    assert not Publication.objects.exists()


def _published(org, evaluation, *, spent):
    """The worked example with another 执行数, driven to 已公开 by the services."""
    from workflow import services as moves

    rows = {row.name: row.pk for row in evaluation.rows.all()}
    values = {"办件量": {"weight": "30", "actual": "9000件", "reason": "窗口人员调整"}, "按时办结率": {"weight": "20", "actual": "99%"},
              "投诉率": {"actual": "2.5%", "reason": "投诉增多"}, "可持续影响": {"level": "部分达成", "score": "10.5", "reason": "机制尚在建立"},
              "满意度": {"actual": "95%"}}
    services.evaluation_edit(
        evaluation=evaluation, user=org.owner, expected_version=evaluation.version, spent=spent,
        spent_reason="项目延期" if Decimal(spent) < 45 else "", conclusion="基本完成", problems="无", improvements="无",
        rows={rows[name]: value for name, value in values.items()},
    )
    for user in (org.owner, org.head, org.leader, org.finance):
        evaluation.refresh_from_db()
        (moves.document_submit if user is org.owner else moves.document_approve)(document=evaluation, user=user)
    evaluation.refresh_from_db()
    return evaluation


def test_the_agency_view_scores_averages_and_flags(browser, org, evaluation, worked_sheet, make_sheet, publish):
    """Worked out: the worked example (执行数 46 of 50 → 执行率 92%, 指标得分 78.75 → 78.75 ÷ 90 = 87.5%, 87.5 − 92 < 5:
    no flag; total 87.95) and a second sheet spending 30 of 50 (执行率 60% → 6.00; 87.5 − 60 = 27.5 > 5: red;
    60% < 80%: yellow; total 78.75 + 6.00 = 84.75). Average (87.95 + 84.75) ÷ 2 = 86.35. A third published sheet has
    no self-evaluation yet."""
    first = _published(org, evaluation, spent="46")
    assert (first.total, first.grade) == (Decimal("87.95"), "良")
    from tests.evaluations.conftest import WORKED
    from projects.models import Indicator

    second_sheet = publish(make_sheet(budget="50.00", title="第二个项目"))
    second_sheet.indicators.all().delete()
    for order, (category, subcategory, name, value) in enumerate(WORKED):
        Indicator.objects.create(sheet=second_sheet, order=order, category=category, subcategory=subcategory, name=name, target_value=value)
    second = _published(org, services.evaluation_create(sheet=second_sheet, user=org.owner), spent="30")
    assert (second.budget_score, second.total) == (Decimal("6.00"), Decimal("84.75"))
    assert tables.flags(total=first.total, budget_score=first.budget_score, rate=Decimal("92")) == (False, False)
    assert tables.flags(total=second.total, budget_score=second.budget_score, rate=Decimal("60")) == (True, True)
    publish(make_sheet(title="未自评项目"))

    figures = agency_reads.figures(org.agency, org.year)
    assert (figures.sheets, figures.evaluations, figures.scored, figures.average, figures.red, figures.yellow) == (
        3, 2, 2, Decimal("86.35"), 1, 1)
    page = browser(org.leader).get("/agencies/489001/2024/evaluations/").content.decode()
    assert "86.35" in page and "红色 1" in page and "黄色 1" in page and "未开展自评" in page
    assert page.count('data-testid="flag-red"') == 1 and page.count('data-testid="agency-row"') == 3
    # a page at a time
    paged = browser(org.finance).get("/agencies/489001/2024/evaluations/?size=2").content.decode()
    assert paged.count('data-testid="agency-row"') == 2 and 'rel="next"' in paged

    excel = browser(org.finance).get("/agencies/489001/2024/evaluations.xlsx")
    book = load_workbook(io.BytesIO(b"".join(excel.streaming_content)))["自评汇总"]
    header = [c.value for c in book[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in book.iter_rows(min_row=2, max_row=4)]
    assert [(r["总分"], r["红色预警"], r["黄色预警"]) for r in rows] == [
        (87.95, None, None), (84.75, "指标得分率高于执行率逾 5 个百分点", "执行率低于 80%"), (None, None, None)]
    assert rows[2]["状态"] == "未开展自评"
    assert book.cell(row=6, column=14).value == 86.35


def test_excel_never_turns_user_text_into_a_formula(browser, org, evaluation):
    evaluation = _published(org, evaluation, spent="46")
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(conclusion='=HYPERLINK("http://x","y")')
    excel = browser(org.leader).get("/agencies/489001/2024/evaluations.xlsx")
    book = load_workbook(io.BytesIO(b"".join(excel.streaming_content)))["自评汇总"]
    cell = book.cell(row=2, column=18)
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


def test_the_new_doors_refuse_the_other_section_the_other_agency_and_the_anonymous(browser, org, evaluation):
    """The agency's view and its Excel: its leader and finance only. The 自评表's Word for the signed-in: whoever may
    read the evaluation (a draft: its section and agency). The publication date: finance only."""
    for user, expected in ((org.leader, 200), (org.finance, 200), (org.owner, 404), (org.head, 404), (org.colleague, 404),
                           (org.outsider, 404), (org.outsider_leader, 404)):
        client = browser(user)
        assert client.get("/agencies/489001/2024/evaluations/").status_code == expected, user
        assert client.get("/agencies/489001/2024/evaluations.xlsx").status_code == expected, user
    for user in (org.colleague, org.colleague_head, org.outsider, org.outsider_leader):
        assert browser(user).get(f"/evaluations/{evaluation.pk}/evaluation.docx").status_code == 404, user
    assert browser(org.owner).get(f"/evaluations/{evaluation.pk}/evaluation.docx").status_code == 200
    anonymous = browser(None)
    for url in ("/agencies/489001/2024/evaluations/", "/agencies/489001/2024/evaluations.xlsx", f"/evaluations/{evaluation.pk}/evaluation.docx"):
        answer = anonymous.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith("/login/"), url
    assert anonymous.post("/agencies/489001/2024/evaluations/", {"public_from": "2099-01-01"}).status_code == 302
    assert browser(org.leader).post("/agencies/489001/2024/evaluations/", {"public_from": "2099-01-01"}).status_code == 404
    assert browser(org.outsider_leader).post("/agencies/489001/2024/evaluations/", {"public_from": "2099-01-01"}).status_code == 404
    assert not Publication.objects.exists()
    # a draft is on no public door
    for url in (f"/public/evaluations/{evaluation.pk}/", f"/public/evaluations/{evaluation.pk}/evaluation.docx"):
        assert anonymous.get(url).status_code == 404


def test_the_agency_pages_read_a_bounded_number_of_queries(browser, org, make_sheet, publish, django_assert_max_num_queries):
    """The agency's view and the public page read one page of sheets with their evaluations, whatever the agency's
    size: the same number of queries for 2 sheets as for 6."""
    leader, anonymous = browser(org.leader), browser(None)
    for _ in range(2):
        publish(make_sheet())
    with django_assert_max_num_queries(20) as few:
        assert leader.get("/agencies/489001/2024/evaluations/").status_code == 200
    with django_assert_max_num_queries(20) as few_public:
        assert anonymous.get("/public/agencies/489001/2024/").status_code == 200
    for _ in range(4):
        publish(make_sheet())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert leader.get("/agencies/489001/2024/evaluations/").status_code == 200
    with django_assert_max_num_queries(len(few_public.captured_queries)):
        assert anonymous.get("/public/agencies/489001/2024/").status_code == 200


def test_the_api_shows_a_waiting_one_to_its_people_only(org, evaluation):
    from rest_framework.test import APIClient

    later = timezone.localdate() + datetime.timedelta(days=10)
    services.publication_set(agency=org.agency, year=2024, public_from=later, user=org.finance)
    evaluation = _published(org, evaluation, spent="46")

    def get(user):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client.get(f"/api/evaluations/{evaluation.pk}/")

    shown = get(org.owner).json()
    assert (shown["state"], shown["state_label"], shown["public_from"]) == ("published", f"待公开（{later:%Y-%m-%d} 公开）", later.isoformat())
    assert get(org.finance).status_code == 200
    for user in (org.outsider, org.outsider_leader, org.colleague, None):
        assert get(user).status_code in (403, 404), user


def test_the_drafters_are_told_when_it_will_be_public(org, evaluation):
    """Finance's approval of a self-evaluation waiting for the publication date tells its section 待公开 and the date,
    not 已公开."""
    from notifications.models import Channel, Kind, Notification

    later = timezone.localdate() + datetime.timedelta(days=20)
    services.publication_set(agency=org.agency, year=2024, public_from=later, user=org.finance)
    evaluation = _published(org, evaluation, spent="46")
    note = Notification.objects.get(evaluation=evaluation, kind=Kind.PUBLISH, channel=Channel.IN_APP, recipient=org.owner)
    assert note.title.startswith("待公开：")
    assert f"通过财政审核，将于 {later:%Y-%m-%d} 与决算一同公开。" in note.body and "并公开" not in note.body
