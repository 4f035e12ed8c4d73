"""People pages: the workflow's named users, plus the three people every test here speaks of.

owner      unit_admin, 单位管理员 of 483001 (the agency whose page is tested)
colleague  staff_ggzy, a plain 经办人 of the same agency
outsider   other_admin, 单位管理员 of the other agency 483099
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from people import roles
from people.models import RoleChange
from people.services import role_grant
from projects.models import Agency, Section

AGENCY = "483001"
PAGE = f"/people/{AGENCY}/"


@pytest.fixture
def agency(people):
    return Agency.objects.get(code=AGENCY)


@pytest.fixture
def ggzy(agency):
    return Section.objects.get(agency=agency, name="公共资源交易中心")


@pytest.fixture
def owner(people):
    return people.unit_admin


@pytest.fixture
def colleague(people):
    return people.staff_ggzy


@pytest.fixture
def outsider(people):
    user = get_user_model().objects.create_user("other_admin", password="pw", last_name="钱", first_name="进")
    role_grant(user=user, role=roles.AGENCY_ADMIN, scope=people.other_agency)
    return user


@pytest.fixture
def browser(people):
    """``browser(user)`` → a signed-in test client; ``browser()`` → an anonymous one."""

    def client_for(user=None):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return client_for


@pytest.fixture
def snapshot():
    """What the people pages can change: grants, accounts and the audit; compare before and after a refused request."""
    from guardian.models import UserObjectPermission

    def take():
        User = get_user_model()
        return (
            sorted(UserObjectPermission.objects.values_list("user_id", "permission_id", "object_pk")),
            sorted(User.objects.values_list("pk", "is_active")),
            RoleChange.objects.count(),
        )

    return take


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def second_head(people, ggzy, owner):
    """A second 科室负责人 of 公共资源交易中心, added by the owner."""
    from people.services import managed_person_create

    return managed_person_create(
        by=owner, agency=ggzy.agency, username="head2_ggzy", last_name="冯", first_name="雪", password="Quiet-river-2024",
        role=roles.SECTION_HEAD, scope=ggzy,
    )


@pytest.fixture
def reassigned(sheet, people, second_head):
    """Sheet 3 submitted by staff_ggzy and reassigned by head_ggzy to the second head."""
    from workflow import services

    services.document_submit(document=sheet, user=people.staff_ggzy)
    services.task_reassign(document=sheet, user=people.head_ggzy, to_user=second_head, comment="出差，请代为审核")
    sheet.refresh_from_db()
    assert sheet.assignee == second_head
    return sheet


def signs_in(username: str, password: str) -> bool:
    """Does the real login form let this person in? (Through the view, so login throttling sees a request.)"""
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session
