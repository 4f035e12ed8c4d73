"""Issue 7: the approval state can no longer be broken through the admin, and what can still break it is found.

First the breakages of the issue, produced the way they were — the superuser ``admin`` posting the real admin
change forms — must not happen any more; then divergences made the ways they still can be (raw
``QuerySet.update()``, guardian's ``remove_perm`` called directly, ``.update(is_active=False)``) are listed by
``check_workflow`` (exit code 1), repaired by ``check_workflow --repair`` with a 系统校正 history entry per sheet,
and reported by the deploy system check workflow.W001.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.management import call_command
from guardian.shortcuts import remove_perm

from core.errors import AppError
from people import roles
from people.services import role_grant
from projects.models import FiscalYear, Section, SheetState, SpendPlan, TargetSheet
from workflow import services
from workflow import integrity
from workflow.integrity import divergences, divergences_iter, divergences_repair, divergences_repair_batches
from workflow.models import Action
from workflow.permissions import can_review
from workflow.selectors import review_tasks
from tests.support import drive

GGZY, ZWFW = "公共资源交易中心", "政务服务中心"


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


def _fresh(user):
    """The person as the next request sees them (no role cache from earlier in the test)."""
    return get_user_model().objects.get(pk=user.pk)


def _check_workflow(*args) -> tuple[int, str]:
    """Run ``manage.py check_workflow``: (exit code, output)."""
    out = io.StringIO()
    try:
        call_command("check_workflow", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def _deploy_warnings() -> list:
    return checks.run_checks(include_deployment_checks=True, tags=["workflow"])


def _post_project_section(client, project, section: Section):
    """Post the project's real admin change form with only its section changed."""
    url = f"/admin/projects/project/{project.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    assert "agency" not in data  # read-only once the project exists
    data["section"] = section.pk
    data["_save"] = "保存"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def _sheet_of_another_year(sheet: TargetSheet, year: int) -> TargetSheet:
    """The same project's sheet for another year (a clean draft with its own plan)."""
    fiscal_year = FiscalYear.get_or_create_with_defaults(year)
    other = TargetSheet.objects.create(
        project=sheet.project, fiscal_year=fiscal_year, agency=sheet.agency, section=sheet.section, position=sheet.position,
        budget_total=sheet.budget_total, fiscal_funds=sheet.fiscal_funds, other_funds=sheet.other_funds,
        purpose=sheet.purpose, goal=sheet.goal,
    )
    for checkpoint in fiscal_year.checkpoints.all():
        SpendPlan.objects.create(sheet=other, checkpoint=checkpoint, cumulative_percent=checkpoint.planned_percent)
    return other


# ---------------------------------------------------------------- (a) the admin can no longer write approval state


@pytest.mark.parametrize("url", ["/admin/viewflow/process/", "/admin/viewflow/task/"])
def test_viewflow_process_and_task_admin_pages_are_gone(admin_client, url):
    assert admin_client.get(url).status_code == 404


def test_target_sheet_admin_cannot_change_a_sheet(admin_client, sheet, people, to_state):
    to_state(sheet, "section_review")
    url = f"/admin/projects/targetsheet/{sheet.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200  # readable
    assert page.context["has_change_permission"] is False
    assert "state" not in page.context["adminform"].form.fields  # no editable field: everything is shown read-only
    before = TargetSheet.objects.values("state", "section_id", "assignee_id", "version", "budget_total").get(pk=sheet.pk)
    other = Section.objects.get(agency=sheet.agency, name=ZWFW)
    response = admin_client.post(url, {
        "state": SheetState.PUBLISHED, "section": other.pk, "assignee": people.leader.pk, "budget_total": "1.00",
        "project": sheet.project_id, "fiscal_year": sheet.fiscal_year_id, "agency": sheet.agency_id, "_save": "保存",
    })
    assert response.status_code == 403
    assert TargetSheet.objects.values("state", "section_id", "assignee_id", "version", "budget_total").get(pk=sheet.pk) == before
    assert sheet.events.last().action == Action.SUBMIT


# ---------------------------------------------------------------- (b) a project moved in the admin moves its sheets' approval


def test_moving_a_returned_sheets_project_in_the_admin_hands_its_review_to_the_new_section(admin_client, sheet, people, to_state):
    to_state(sheet, "returned")
    zwfw = Section.objects.get(agency=sheet.agency, name=ZWFW)
    _post_project_section(admin_client, sheet.project, zwfw)
    sheet.refresh_from_db()
    assert (sheet.section, sheet.state) == (zwfw, SheetState.RETURNED)

    with pytest.raises(AppError) as refused:  # the old section's staff no longer submits it
        services.document_submit(document=sheet, user=_fresh(people.staff_ggzy))
    assert refused.value.status == 403
    services.document_submit(document=sheet, user=_fresh(people.staff_zwfw), comment="已按退回意见修改")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW

    new_head, old_head = _fresh(people.head_zwfw), _fresh(people.head_ggzy)
    assert sheet in review_tasks(new_head, TargetSheet) and can_review(new_head, sheet)
    assert sheet not in review_tasks(old_head, TargetSheet) and not can_review(old_head, sheet)
    with pytest.raises(AppError) as refused:
        services.document_approve(document=sheet, user=old_head)
    assert refused.value.status == 403
    with pytest.raises(AppError) as refused:
        services.document_return(document=sheet, user=old_head, comment="不是本科室的表")
    assert refused.value.status == 403
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW

    services.document_approve(document=sheet, user=new_head)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW
    assert sheet.events.last().actor == people.head_zwfw
    assert divergences() == []


def test_a_section_review_reassigned_in_the_old_section_is_released_by_the_move(admin_client, sheet, people, to_state):
    second_head = get_user_model().objects.create_user("head2_ggzy", password="pw")
    role_grant(user=second_head, role=roles.SECTION_HEAD, scope=sheet.section)
    to_state(sheet, "section_review")
    services.task_reassign(document=sheet, user=_fresh(people.head_ggzy), to_user=second_head, comment="出差，请代为审核")
    _post_project_section(admin_client, sheet.project, Section.objects.get(agency=sheet.agency, name=ZWFW))
    sheet.refresh_from_db()
    assert sheet.assignee is None
    assert sheet not in review_tasks(_fresh(second_head), TargetSheet)
    assert sheet in review_tasks(_fresh(people.head_zwfw), TargetSheet)
    assert divergences() == []


# ---------------------------------------------------------------- (c) the project's section reaches every year's sheet


def test_changing_a_projects_section_in_the_admin_reaches_every_years_sheet_and_its_history(admin_client, sheet, people, to_state):
    to_state(sheet, "leader_review")
    next_year = _sheet_of_another_year(sheet, 2025)
    ggzy, zwfw = sheet.section, Section.objects.get(agency=sheet.agency, name=ZWFW)
    _post_project_section(admin_client, sheet.project, zwfw)

    sheet.project.refresh_from_db()
    assert sheet.project.section == zwfw
    for moved in (sheet, next_year):
        moved.refresh_from_db()
        assert moved.section == zwfw
        entry = moved.events.last()
        assert (entry.action, entry.get_action_display(), entry.actor) == (Action.MOVE, "移交科室", people.admin)
        assert entry.comment == f"由“{ggzy.name}”移交“{zwfw.name}”。"
        assert entry.from_state == entry.to_state == moved.state
    assert sheet.state == SheetState.LEADER_REVIEW  # the agency's step stays where it is
    assert sheet in review_tasks(_fresh(people.leader), TargetSheet)

    code, output = _check_workflow()
    assert code == 0, output
    assert "没有发现问题" in output
    assert _deploy_warnings() == []


def test_check_workflow_finds_nothing_after_the_admin_moves(admin_client, sheet, people, to_state):
    """(a)–(c) in one go: whatever the admin does leaves nothing for check_workflow."""
    to_state(sheet, "returned")
    sections = {s.name: s for s in Section.objects.filter(agency=sheet.agency)}
    _post_project_section(admin_client, sheet.project, sections[ZWFW])
    refused = admin_client.post(f"/admin/projects/targetsheet/{sheet.pk}/change/", {"state": SheetState.PUBLISHED, "_save": "保存"})
    assert refused.status_code == 403
    drive(sheet, ("submit", _fresh(people.staff_zwfw)))
    _post_project_section(admin_client, sheet.project, sections["信用与放管服办公室"])
    assert sheet in review_tasks(_fresh(people.head_xy), TargetSheet)
    assert _check_workflow() == (0, "审批状态一致：没有发现问题。\n")


# ---------------------------------------------------------------- what can still diverge is found and repaired


@pytest.fixture
def diverged(people, to_state):
    """Five sheets broken the ways that remain possible, each outside the product's services."""
    sheets = {s.position: s for s in TargetSheet.objects.filter(fiscal_year__year=2024, agency__code="483001")}
    sections = {s.name: s for s in Section.objects.filter(agency__code="483001")}
    broken = {}

    # raw update of a sheet's section: the sheet leaves its project's section
    broken["section"] = sheets[1]
    TargetSheet.objects.filter(pk=sheets[1].pk).update(section=sections[ZWFW])

    # raw update of a sheet's state: the history still ends in 科室审核
    to_state(sheets[2], "section_review")
    TargetSheet.objects.filter(pk=sheets[2].pk).update(state=SheetState.PUBLISHED)
    broken["state"] = sheets[2]

    # raw update of a sheet's state to one that does not exist (a typo in SQL) while its 局领导 step is reassigned
    drive(sheets[6], ("submit", _fresh(people.staff_zwfw)), ("approve", _fresh(people.head_zwfw)))  # of 政务服务中心
    services.task_reassign(document=sheets[6], user=_fresh(people.leader2), to_user=people.leader, comment="请代为审批")
    TargetSheet.objects.filter(pk=sheets[6].pk).update(state="leader_reviw")
    broken["no_such_state"] = sheets[6]

    # guardian's remove_perm called directly for the assignee of a 局领导 step
    to_state(sheets[3], "leader_review")
    services.task_reassign(document=sheets[3], user=_fresh(people.leader), to_user=people.leader2, comment="请代为审批")
    remove_perm(roles.SCOPE_PERMISSIONS[roles.LEADER][0], people.leader2, sheets[3].agency)
    broken["perm"] = sheets[3]

    # the assignee of a 财政审核 step deactivated with .update(is_active=False)
    to_state(sheets[4], "finance_review")
    services.task_reassign(document=sheets[4], user=_fresh(people.finance), to_user=people.finance2, comment="请代为审核")
    get_user_model().objects.filter(pk=people.finance2.pk).update(is_active=False)
    broken["inactive"] = sheets[4]

    return broken


def test_check_workflow_lists_each_divergence_and_exits_1(diverged):
    found = {(d.document_id, d.code) for d in divergences()}
    assert found == {
        (diverged["section"].pk, "section"),
        (diverged["state"].pk, "history"),
        (diverged["perm"].pk, "assignee_without_role"),
        (diverged["inactive"].pk, "assignee_without_role"),
        (diverged["no_such_state"].pk, "state"),
        (diverged["no_such_state"].pk, "history"),
        (diverged["no_such_state"].pk, "assignee_outside_review"),
    }
    code, output = _check_workflow()
    assert code == 1
    lines = output.splitlines()
    assert f"绩效目标表 {diverged['section'].pk}：所属科室“{ZWFW}”与项目的科室“{GGZY}”不一致" in lines
    assert f"绩效目标表 {diverged['state'].pk}：状态“已公开”与办理记录最后的状态“科室审核”不一致" in lines
    assert f"绩效目标表 {diverged['perm'].pk}：“局领导审批”转办给的人已不是本范围的局领导（或已停用）" in lines
    assert f"绩效目标表 {diverged['inactive'].pk}：“财政审核”转办给的人已不是本范围的财政审核人（或已停用）" in lines
    assert f"绩效目标表 {diverged['no_such_state'].pk}：状态“leader_reviw”不是有效的审批状态" in lines
    assert "发现 7 处问题" in lines[-1]


def test_check_workflow_repair_fixes_all_with_one_history_entry_per_sheet(diverged, people):
    counts = {key: sheet.events.count() for key, sheet in diverged.items()}
    code, output = _check_workflow("--repair")
    assert code == 0
    assert "已修复 7 处问题" in output

    for key, sheet in diverged.items():
        sheet.refresh_from_db()
        assert sheet.events.count() == counts[key] + 1
        entry = sheet.events.last()
        assert (entry.action, entry.get_action_display(), entry.actor) == (Action.REPAIR, "系统校正", None)
        assert entry.comment.startswith("系统校正：") and entry.to_state == sheet.state
    assert diverged["section"].section == diverged["section"].project.section  # the project's section wins
    assert diverged["state"].state == SheetState.SECTION_REVIEW  # back to the history's state, not the unrecorded one
    assert diverged["state"].events.last().from_state == SheetState.PUBLISHED
    assert diverged["perm"].assignee is None and diverged["inactive"].assignee is None  # released to the step's holders
    assert diverged["perm"] in review_tasks(_fresh(people.leader), TargetSheet)
    assert diverged["inactive"] in review_tasks(_fresh(people.finance), TargetSheet)
    # a state that does not exist goes back to the last one of its history, where its assignee still holds the role
    no_such_state = diverged["no_such_state"]
    assert (no_such_state.state, no_such_state.assignee) == (SheetState.LEADER_REVIEW, people.leader)
    assert no_such_state in review_tasks(_fresh(people.leader), TargetSheet)
    assert no_such_state.events.last().from_state == SheetState.LEADER_REVIEW

    assert divergences() == []
    assert _check_workflow() == (0, "审批状态一致：没有发现问题。\n")


def test_check_workflow_reads_a_chunk_of_sheets_at_a_time_and_finds_the_same(diverged):
    """The check is bounded by its chunk, not by the province: one sheet per chunk finds what the whole finds."""
    whole = divergences()
    assert list(divergences_iter(chunk=1)) == whole and len(whole) == 7
    assert list(divergences_iter(chunk=3)) == whole


def test_check_workflow_repair_commits_batch_by_batch_and_keeps_what_it_fixed_when_a_later_batch_fails(diverged, monkeypatch):
    """One sheet per batch: the second batch fails, the first stays repaired (with its 系统校正 entry), the rest stays
    as found, and a second run repairs what is left."""
    first = min(diverged.values(), key=lambda sheet: sheet.pk)
    real_repair, repaired = integrity._repair, []

    def failing_second(model, found, **kwargs):
        if found:
            repaired.append(found)
            if len(repaired) == 2:
                raise RuntimeError("the machine stopped")
        return real_repair(model, found, **kwargs)

    monkeypatch.setattr(integrity, "_repair", failing_second)
    batches = divergences_repair_batches(batch=1)
    assert {d.document_id for d in next(batches)} == {first.pk}
    with pytest.raises(RuntimeError):
        next(batches)
    first.refresh_from_db()
    assert first.events.last().action == Action.REPAIR
    left = {d.document_id for d in divergences()}
    assert first.pk not in left and left == {s.pk for s in diverged.values()} - {first.pk}
    monkeypatch.setattr(integrity, "_repair", real_repair)
    assert {d.document_id for d in divergences_repair(batch=2)} == left
    assert divergences() == []


def test_deploy_check_warns_while_a_divergence_exists(people):
    assert _deploy_warnings() == []
    sheet = TargetSheet.objects.get(fiscal_year__year=2024, position=1)
    TargetSheet.objects.filter(pk=sheet.pk).update(section=Section.objects.get(agency=sheet.agency, name=ZWFW))
    warnings = _deploy_warnings()
    assert [w.id for w in warnings] == ["workflow.W001"]
    assert warnings[0].level == checks.WARNING
    assert f"表 {sheet.pk}" in warnings[0].msg and "check_workflow --repair" in warnings[0].hint
    call_command("check_workflow", "--repair", stdout=io.StringIO())
    assert _deploy_warnings() == []


def _check_deploy() -> str:
    """``manage.py check --deploy`` of the workflow's checks: its output (a warning is not a SystemCheckError)."""
    out = io.StringIO()
    call_command("check", deploy=True, tags=["workflow"], stdout=out, stderr=out)
    return out.getvalue()


def test_manage_py_check_deploy_reports_w001_until_repaired(people):
    assert "workflow.W001" not in _check_deploy()
    sheet = TargetSheet.objects.get(fiscal_year__year=2024, position=1)
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.FINANCE_REVIEW)  # no history, no entry time
    assert "workflow.W001" in _check_deploy()
    call_command("check_workflow", "--repair", stdout=io.StringIO())
    assert "no issues" in _check_deploy()


# ---------------------------------------------------------------- a section of another agency; an unrecorded state


def _other_staff_opens(client, people, sheet) -> int:
    client.force_login(people.other_staff)
    return client.get(f"/sheets/{sheet.pk}/").status_code


def test_a_project_moved_into_another_agencys_section_is_found_and_never_left_there(client, sheet, people, to_state):
    """Raw SQL moves a project and its sheet into a section of agency 483099: its people can open the sheet. The
    check names it; the repair takes it out (no section of its own agency is recorded anywhere: 未分配科室)."""
    to_state(sheet, "section_review")
    TargetSheet.objects.filter(pk=sheet.pk).update(section=people.other_section)
    type(sheet.project).objects.filter(pk=sheet.project_id).update(section=people.other_section)
    assert _other_staff_opens(client, people, sheet) == 200  # the leak the check must find

    assert [(d.document_id, d.code) for d in divergences()] == [(sheet.pk, "section_agency")]
    code, output = _check_workflow()
    assert code == 1
    assert f"表 {sheet.pk}：所属科室“其他局办公室”属于其他单位“乐亭县其他局本级”，不属于本表的单位“{sheet.agency.name}”" in output

    assert _check_workflow("--repair")[0] == 0
    sheet.refresh_from_db()
    sheet.project.refresh_from_db()
    assert (sheet.agency.code, sheet.section, sheet.project.section) == ("483001", None, None)
    assert sheet.state == SheetState.SECTION_REVIEW
    entry = sheet.events.last()
    assert entry.action == Action.REPAIR and "请在后台为项目指定本单位的科室" in entry.comment
    assert _other_staff_opens(client, people, sheet) == 404
    assert divergences() == []


def test_a_project_alone_moved_into_another_agencys_section_goes_back_to_the_section_its_sheets_name(client, sheet, people):
    """Only the project was moved: its sheets still name 公共资源交易中心, and the repair returns the project there
    instead of moving the sheets after it into the other agency."""
    ggzy = sheet.section
    type(sheet.project).objects.filter(pk=sheet.project_id).update(section=people.other_section)
    assert {d.code for d in divergences()} == {"section", "section_agency"}

    assert _check_workflow("--repair")[0] == 0
    sheet.refresh_from_db()
    sheet.project.refresh_from_db()
    assert (sheet.section, sheet.project.section) == (ggzy, ggzy)
    assert _other_staff_opens(client, people, sheet) == 404
    assert divergences() == []


def test_a_draft_published_by_raw_sql_goes_back_to_draft_and_off_the_public_list(client, sheet, people):
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.PUBLISHED)
    assert client.get(f"/public/sheets/{sheet.pk}/").status_code == 200  # public without any approval
    assert [(d.document_id, d.code) for d in divergences()] == [(sheet.pk, "history")]

    assert _check_workflow("--repair")[0] == 0
    sheet.refresh_from_db()
    assert sheet.state == SheetState.DRAFT
    entry = sheet.events.last()
    assert (entry.action, entry.from_state, entry.to_state) == (Action.REPAIR, SheetState.PUBLISHED, SheetState.DRAFT)
    assert "状态恢复为办理记录最后的状态“草稿”" in entry.comment
    assert client.get(f"/public/sheets/{sheet.pk}/").status_code == 404
    assert divergences() == []


def test_a_sheet_raw_moved_back_from_published_is_published_again(sheet, people, to_state):
    """Towards the last recorded state, whichever way: a recorded publication stands."""
    to_state(sheet, "published")
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.LEADER_REVIEW)
    assert _check_workflow("--repair")[0] == 0
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED and sheet.assignee is None
