"""Every role (and the anonymous user) against every action in every state, for an own, a foreign-section and a foreign-agency sheet.

Each attempt runs through the REST API (the browser pages call the same services and
permission checks; tests/sheets/test_pages.py covers their doors) inside a savepoint
that is rolled back, so one sheet serves the whole row of users.
"""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from projects.models import TargetSheet

USERS = [
    "staff_ggzy", "head_ggzy", "staff_xy", "head_xy", "leader", "finance",
    "other_staff", "other_head", "other_leader", "other_finance", "nobody", "admin", None,
]

ACTIONS = {
    "view": ("get", "/api/sheets/{pk}/", None),
    "download": ("get", "/api/sheets/{pk}/export.docx", None),
    "edit": ("patch", "/api/sheets/{pk}/", {"purpose": "改"}),
    "submit": ("post", "/api/sheets/{pk}/submit/", {"comment": "已按退回意见修改"}),  # the 修改说明 a resubmission needs
    "withdraw": ("post", "/api/sheets/{pk}/withdraw/", {}),
    "approve": ("post", "/api/sheets/{pk}/approve/", {}),
    "return": ("post", "/api/sheets/{pk}/return/", {"comment": "请修改"}),
    "reassign": ("post", "/api/sheets/{pk}/reassign/", {"comment": "代审"}),
}
STATES = ["draft", "returned", "section_review", "leader_review", "finance_review", "published"]
EVERYONE = set(USERS) - {None}
OWN_READERS = {"staff_ggzy", "head_ggzy", "leader", "admin"}
REVIEWER = {"section_review": "head_ggzy", "leader_review": "leader", "finance_review": "finance"}
# a colleague with the same role on the same scope, to reassign each review step to
COLLEAGUE = {"section_review": "head2_ggzy", "leader_review": "leader2", "finance_review": "finance2"}


def allowed(state: str, action: str) -> set:
    """The issue's rules, written out: who may do ``action`` on sheet 3 of section 公共资源交易中心 in ``state``."""
    if action in ("view", "download"):
        if state == "published":
            return EVERYONE
        return OWN_READERS | ({"finance"} if state == "finance_review" else set())
    if action in ("edit", "submit"):
        return {"staff_ggzy"} if state in ("draft", "returned") else set()
    if action == "withdraw":
        return {"staff_ggzy"} if state == "section_review" else set()
    return {REVIEWER[state]} if state in REVIEWER else set()


@pytest.fixture
def colleagues(people):
    from django.contrib.auth import get_user_model

    from people import roles
    from people.services import role_grant
    from projects.models import Section

    # leader2 and finance2 come with the demo; a second head is made here
    User = get_user_model()
    role_grant(user=User.objects.create_user("head2_ggzy"), role=roles.SECTION_HEAD, scope=Section.objects.get(name="公共资源交易中心"))


class Rollback(Exception):
    pass


def attempt(username, action, sheet):
    from django.contrib.auth import get_user_model

    method, url, body = ACTIONS[action]
    if action == "reassign":
        body = dict(body, user=COLLEAGUE.get(sheet.state, "head2_ggzy"))
    client = APIClient()
    if username:
        client.force_authenticate(get_user_model().objects.get(username=username))
    status = None
    try:
        with transaction.atomic():
            headers = {"HTTP_IF_MATCH": sheet.etag} if method == "patch" else {}
            response = getattr(client, method)(url.format(pk=sheet.pk), body, format="json", **headers)
            status = response.status_code
            sheet.refresh_from_db()
            moved = (sheet.state, sheet.events.count())
            raise Rollback
    except Rollback:
        pass
    return status, moved


@pytest.fixture
def two_roles(people):
    """Two-role people (granted by the superuser, which stays allowed): staff_ggzy, who drafts and submits sheet 3, is
    also 科室负责人 of its section and 局领导 of its agency; head_ggzy, who approves its 科室审核, is also 局领导 and
    财政审核人 of the agency. 提交与审核分离 leaves the matrix as it is: in each round the submitter reviews nothing and
    the head approves no later step, so every review step is still the one reviewer's of ``allowed``."""
    from people import roles
    from people.services import role_grant
    from projects.models import Agency, Section

    section, agency = Section.objects.get(name="公共资源交易中心"), Agency.objects.get(code="483001")
    role_grant(user=people.staff_ggzy, role=roles.SECTION_HEAD, scope=section, by=people.admin)
    role_grant(user=people.staff_ggzy, role=roles.LEADER, scope=agency, by=people.admin)
    role_grant(user=people.head_ggzy, role=roles.LEADER, scope=agency, by=people.admin)
    role_grant(user=people.head_ggzy, role=roles.FINANCE_REVIEWER, scope=agency, by=people.admin)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("state", STATES)
def test_own_sheet(people, to_state, colleagues, state, action):
    _check_row(to_state, state, action)


@pytest.mark.parametrize("action", ["approve", "return", "reassign", "withdraw", "submit"])
@pytest.mark.parametrize("state", STATES)
def test_own_sheet_with_two_role_people(people, two_roles, to_state, colleagues, state, action):
    _check_row(to_state, state, action)


def _check_row(to_state, state, action):
    sheet = to_state(TargetSheet.objects.get(position=3), state)
    before = (sheet.state, sheet.events.count())
    may = allowed(state, action)
    for username in USERS:
        status, after = attempt(username, action, sheet)
        if username in may:
            assert status == 200, (username, status)
        elif username is None:
            assert status in (401, 403), (username, status)
            assert after == before
        else:
            assert status in (403, 404, 409), (username, status)
            assert after == before, username
            if username not in allowed(state, "view"):
                assert status == 404, f"{username} must not learn that the sheet exists"


def test_foreign_section_sheet_is_invisible_to_the_other_section(people):
    sheet5 = TargetSheet.objects.get(position=5)  # 信用与放管服办公室
    for username in ("staff_ggzy", "head_ggzy"):
        for action in ACTIONS:
            status, _ = attempt(username, action, sheet5)
            assert status == 404, (username, action, status)
    assert attempt("staff_xy", "view", sheet5)[0] == 200


def test_foreign_agency_sheet_is_invisible_to_this_agency(people, foreign_sheet):
    for username in ("staff_ggzy", "head_ggzy", "staff_xy", "leader", "finance"):
        for action in ACTIONS:
            status, _ = attempt(username, action, foreign_sheet)
            assert status == 404, (username, action, status)
    assert attempt("other_staff", "submit", foreign_sheet)[0] == 200


def test_list_shows_only_what_each_role_may_see(people, foreign_sheet, to_state):
    from django.contrib.auth import get_user_model

    to_state(TargetSheet.objects.get(position=1, agency__code="483001"), "finance_review")

    def listed(username):
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(username=username))
        return sorted(row["project_code"][-4:] for row in client.get("/api/sheets/").json()["results"])

    assert listed("staff_ggzy") == sorted(["041X", "042H", "037P", "0364"])
    assert listed("staff_xy") == ["040A"]
    assert len(listed("leader")) == 9
    assert listed("finance") == ["041X"]  # only what reached finance, never drafts
    assert listed("other_staff") == ["0001"]
    assert listed("nobody") == []
    assert APIClient().get("/api/sheets/").status_code in (401, 403)
