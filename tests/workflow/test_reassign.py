import pytest
from django.contrib.auth import get_user_model

from projects.models import Section, SheetState
from people import roles
from people.services import role_grant
from workflow import services
from tests.support import drive
from tests.refusals import refused


@pytest.fixture
def second_head(people):
    user = get_user_model().objects.create_user("head2_ggzy", password="pw")
    role_grant(user=user, role=roles.SECTION_HEAD, scope=Section.objects.get(name="公共资源交易中心"))
    return user


def test_reviewer_reassigns_to_a_colleague_with_the_same_role_who_then_decides(sheet, people, second_head):
    drive(sheet, ("submit", people.staff_ggzy))
    services.task_reassign(document=sheet, user=people.head_ggzy, to_user=second_head, comment="出差，请代为审核")
    sheet.refresh_from_db()
    assert sheet.assignee == second_head
    with refused(403, match="已转办给"):
        services.document_approve(document=sheet, user=people.head_ggzy)
    drive(sheet, ("approve", second_head))
    assert sheet.state == SheetState.LEADER_REVIEW
    event = sheet.events.get(action="reassign")
    assert (event.actor, event.target_user, event.comment) == (people.head_ggzy, second_head, "出差，请代为审核")


@pytest.mark.parametrize("target", ["head_xy", "other_head", "leader", "staff_ggzy"])
def test_reassign_only_to_the_same_role_on_the_same_scope(sheet, people, target):
    drive(sheet, ("submit", people.staff_ggzy))
    with refused(400, match="只能转办给"):
        services.task_reassign(document=sheet, user=people.head_ggzy, to_user=getattr(people, target), comment="请审核")
    sheet.refresh_from_db()
    assert sheet.assignee_id is None


def test_reassign_needs_a_reason(sheet, people, second_head):
    drive(sheet, ("submit", people.staff_ggzy))
    with refused(400, match="原因"):
        services.task_reassign(document=sheet, user=people.head_ggzy, to_user=second_head, comment="")
