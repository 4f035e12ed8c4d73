import pytest

from projects.models import SheetState
from workflow import services
from tests.support import drive
from tests.refusals import refused


def test_submitter_withdraws_before_the_section_head_acts(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy), ("withdraw", people.staff_ggzy))
    assert sheet.state == SheetState.DRAFT
    withdrawn = sheet.events.latest("created")
    assert (withdrawn.action, withdrawn.actor, withdrawn.from_state) == ("withdraw", people.staff_ggzy, "section_review")
    assert not sheet.events.filter(action="approve").exists()  # the head's review was cancelled, not done by staff
    drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    assert sheet.state == SheetState.LEADER_REVIEW


def test_withdraw_is_refused_once_the_section_head_has_acted(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    with refused(409, match="不能再撤回"):
        services.document_withdraw(document=sheet, user=people.staff_ggzy)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW


def test_only_the_submitter_may_withdraw(sheet, people):
    drive(sheet, ("submit", people.staff_ggzy))
    for user in (people.head_ggzy, people.staff_xy, people.other_staff):
        with refused(403):
            services.document_withdraw(document=sheet, user=user)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.SECTION_REVIEW


def test_withdraw_is_refused_once_the_head_has_reassigned_the_task(sheet, people):
    from django.contrib.auth import get_user_model

    from projects.models import Section
    from people import roles
    from people.services import role_grant

    colleague = get_user_model().objects.create_user("head2_ggzy", password="pw")
    role_grant(user=colleague, role=roles.SECTION_HEAD, scope=Section.objects.get(name="公共资源交易中心"))
    drive(sheet, ("submit", people.staff_ggzy))
    services.task_reassign(document=sheet, user=people.head_ggzy, to_user=colleague, comment="请代审")
    with refused(409, match="已转办"):
        services.document_withdraw(document=sheet, user=people.staff_ggzy)
