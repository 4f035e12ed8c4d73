"""The sheet page and 待办 for the approval features of issue 23: the return form's choice of where the resubmission
goes, the kept approvals on the step bar, the drafter's 催办 button, the approver's 撤回通过, and who holds a step by
name (张建国、刘洋) with since when — read in a fixed number of queries however many tasks."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import SheetState, TargetSheet
from tests.support import drive
from workflow import selectors
from workflow.models import Action


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def test_finance_returns_straight_back_from_the_page_and_the_bar_shows_the_kept_approvals(sheet, people, to_state):
    to_state(sheet, "finance_review")
    finance = client_for(people.finance)
    page = text_of(finance.get(f"/sheets/{sheet.pk}/"))
    assert 'data-testid="resume-choice"' in page and 'value="here" checked' in page
    finance.post(f"/sheets/{sheet.pk}/return/", {"comment": "第3行依据请补充", "resume": "here", "version": sheet.version})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.RETURNED
    drafter_page = text_of(client_for(people.staff_ggzy).get(f"/sheets/{sheet.pk}/"))
    assert drafter_page.count('data-testid="step-kept"') == 2  # 科室审核 and 局领导审批 keep their approvals
    assert "修改后直接回到“财政审核”" in drafter_page
    drive(sheet, ("submit", people.staff_ggzy))
    assert sheet.state == SheetState.FINANCE_REVIEW


def test_the_return_form_defaults_to_the_start_before_the_last_step(sheet, people, to_state):
    to_state(sheet, "leader_review")
    page = text_of(client_for(people.leader).get(f"/sheets/{sheet.pk}/"))
    assert 'value="start" checked' in page
    client_for(people.leader).post(f"/sheets/{sheet.pk}/return/", {"comment": "请补充", "version": sheet.version})
    sheet.refresh_from_db()
    assert sheet.events.latest("created").resume_state == ""
    assert "修改后从头重新审核" in text_of(client_for(people.staff_ggzy).get(f"/sheets/{sheet.pk}/"))


def test_the_waiting_drafter_urges_from_the_page_once_a_working_day(sheet, people, to_state):
    to_state(sheet, "leader_review")
    drafter = client_for(people.staff_ggzy)
    page = text_of(drafter.get(f"/sheets/{sheet.pk}/"))
    assert 'data-testid="urge"' in page
    assert "张建国、刘洋" in page  # who holds 局领导审批, by name (the step bar and the phone summary)
    first = drafter.post(f"/sheets/{sheet.pk}/urge/", follow=True)
    assert "已催办“局领导审批”" in text_of(first)
    second = drafter.post(f"/sheets/{sheet.pk}/urge/", follow=True)
    assert "每个工作日只能催办一次" in text_of(second)
    assert sheet.events.filter(action=Action.URGE).count() == 1
    assert 'data-testid="urge"' not in text_of(client_for(people.leader).get(f"/sheets/{sheet.pk}/"))


def test_the_section_head_revokes_from_the_page(sheet, people, to_state):
    to_state(sheet, "leader_review")
    head = client_for(people.head_ggzy)
    assert 'data-testid="revoke"' in text_of(head.get(f"/sheets/{sheet.pk}/"))
    head.post(f"/sheets/{sheet.pk}/revoke/", {"version": sheet.version})
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW


def test_others_are_refused_on_the_pages(sheet, people, to_state, foreign_sheet):
    to_state(sheet, "leader_review")
    for user in (people.staff_xy, people.other_staff, people.other_head):
        client = client_for(user)
        for move in ("urge", "revoke"):
            client.post(f"/sheets/{sheet.pk}/{move}/", {"version": sheet.version})
    anonymous = Client().post(f"/sheets/{sheet.pk}/urge/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW
    assert not sheet.events.filter(action__in=[Action.URGE, Action.REVOKE]).exists()


def test_todo_names_who_holds_each_step_in_a_fixed_number_of_queries(people):
    sheets = list(TargetSheet.objects.filter(position__in=(1, 2, 3, 4), fiscal_year__year=2024).order_by("position"))
    drive(sheets[0], ("submit", people.staff_ggzy))
    selectors.holdings_attach([sheets[0]])
    with CaptureQueriesContext(connection) as one:
        selectors.holdings_attach([sheets[0]])
    for sheet in sheets[1:]:
        staff = {3: people.staff_ggzy}.get(sheet.position)
        if staff is None:
            staff = next(u for u in (people.staff_ggzy, people.staff_xy, people.staff_zwfw) if _authors(u, sheet))
        drive(sheet, ("submit", staff))
    with CaptureQueriesContext(connection) as many:
        selectors.holdings_attach(sheets)
    assert len(many) == len(one) <= 2
    assert sheets[0].holding.names == ("李强",)
    page = text_of(client_for(people.head_ggzy).get("/tasks/"))
    assert 'data-testid="task-holders"' in page and "李强" in page


def _authors(user, sheet) -> bool:
    from workflow import flow

    return flow.holds(user, "staff", sheet)
