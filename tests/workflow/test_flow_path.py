"""The whole path, and every return path, through the services."""

import pytest

from projects.models import SheetState, TargetSheet
from workflow import services
from workflow.models import Event
from tests.support import drive
from tests.refusals import refused


def actions(sheet):
    return list(Event.objects.filter(sheet=sheet).order_by("created", "id").values_list("action", "actor__username", "to_state"))


def test_sheet_goes_draft_to_published_through_every_reviewer(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy))
    assert sheet.state == SheetState.SECTION_REVIEW
    drive(sheet, ("approve", people.head_ggzy))
    assert sheet.state == SheetState.LEADER_REVIEW
    drive(sheet, ("approve", people.leader))
    assert sheet.state == SheetState.FINANCE_REVIEW
    drive(sheet, ("approve", people.finance))
    assert sheet.state == SheetState.PUBLISHED
    assert actions(sheet) == [
        ("submit", "staff_ggzy", "section_review"),
        ("approve", "head_ggzy", "leader_review"),
        ("approve", "leader", "finance_review"),
        ("publish", "finance", "published"),
    ]
    assert sheet.assignee is None and sheet.version > 1


@pytest.mark.parametrize(
    "reviewers",
    [
        ["head_ggzy"],
        ["head_ggzy", "leader"],
        ["head_ggzy", "leader", "finance"],
    ],
    ids=["section-head-returns", "leader-returns", "finance-returns"],
)
def test_any_reviewer_returns_with_comment_and_resubmission_runs_the_whole_chain(sheet, people, reviewers):
    """Through the chain again when the reviewer chooses it (``start``; the last step's default is straight back:
    tests/workflow/test_return_to_step.py)."""
    drive(sheet, ("submit", people.staff_ggzy))
    for name in reviewers[:-1]:
        drive(sheet, ("approve", getattr(people, name)))
    services.document_return(document=sheet, user=getattr(people, reviewers[-1]), comment="成本指标请细化", resume="start")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.RETURNED
    event = sheet.events.latest("created")
    assert (event.action, event.comment) == ("return", "成本指标请细化")

    drive(sheet, ("submit", people.staff_ggzy))
    assert sheet.state == SheetState.SECTION_REVIEW  # back to the start of the chain, not where it was returned
    drive(sheet, ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    assert sheet.state == SheetState.PUBLISHED


def test_return_without_comment_is_refused_and_changes_nothing(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy))
    with refused(400, match="必须填写意见"):
        services.document_return(document=sheet, user=people.head_ggzy, comment="  ")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW
    assert sheet.events.count() == 1


def test_submission_is_refused_while_the_checker_reports_an_error(people):
    sheet7 = TargetSheet.objects.get(position=7)
    with refused(400, match="成本指标"):
        services.document_submit(document=sheet7, user=people.staff_zwfw)
    sheet7.refresh_from_db()
    assert sheet7.state == SheetState.DRAFT
    assert not sheet7.events.exists()


def test_each_submission_freezes_a_snapshot(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy), ("return", people.head_ggzy, "改"))
    indicator = sheet.indicators.get(subcategory="数量指标")
    indicator.target_value = "≥160件"
    indicator.save()
    drive(sheet, ("submit", people.staff_ggzy))
    first, second = sheet.events.filter(action="submit").order_by("created", "id")
    values = lambda ev: [i["target_value"] for i in ev.snapshot["indicators"] if i["subcategory"] == "数量指标"]
    assert values(first) == ["≥150件"]
    assert values(second) == ["≥160件"]


def test_illegal_moves_are_refused(sheet, people):
    with refused(409):
        services.document_approve(document=sheet, user=people.head_ggzy)  # nothing submitted yet
    drive(sheet, ("submit", people.staff_ggzy))
    with refused(409):
        services.document_submit(document=sheet, user=people.staff_ggzy)  # already submitted
    with refused(403):
        services.document_approve(document=sheet, user=people.leader)  # not the leader's step yet
