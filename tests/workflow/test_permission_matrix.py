"""Every role (and the anonymous user) against every action, for an own, a foreign-section and a foreign-agency sheet.

Each attempt runs through the REST API (the browser pages call the same services and
permission checks; tests/workflow/test_pages.py covers their doors) inside a savepoint
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
    "submit": ("post", "/api/sheets/{pk}/submit/", {}),
    "withdraw": ("post", "/api/sheets/{pk}/withdraw/", {}),
    "approve": ("post", "/api/sheets/{pk}/approve/", {}),
    "return": ("post", "/api/sheets/{pk}/return/", {"comment": "请修改"}),
    "reassign": ("post", "/api/sheets/{pk}/reassign/", {"user": "head2_ggzy", "comment": "代审"}),
}

EVERYONE = set(USERS) - {None}
OWN_READERS = {"staff_ggzy", "head_ggzy", "leader", "admin"}

# (state of sheet 3, action) → who may do it
ALLOWED = {
    ("draft", "view"): OWN_READERS,
    ("draft", "download"): OWN_READERS,
    ("draft", "edit"): {"staff_ggzy"},
    ("draft", "submit"): {"staff_ggzy"},
    ("section_review", "view"): OWN_READERS,
    ("section_review", "withdraw"): {"staff_ggzy"},
    ("section_review", "approve"): {"head_ggzy"},
    ("section_review", "return"): {"head_ggzy"},
    ("section_review", "reassign"): {"head_ggzy"},
    ("section_review", "edit"): set(),
    ("leader_review", "approve"): {"leader"},
    ("leader_review", "return"): {"leader"},
    ("leader_review", "withdraw"): set(),
    ("finance_review", "view"): OWN_READERS | {"finance"},
    ("finance_review", "approve"): {"finance"},
    ("finance_review", "return"): {"finance"},
    ("finance_review", "submit"): set(),
    ("returned", "edit"): {"staff_ggzy"},
    ("returned", "submit"): {"staff_ggzy"},
    ("returned", "view"): OWN_READERS,
    ("published", "view"): EVERYONE,
    ("published", "download"): EVERYONE,
    ("published", "edit"): set(),
    ("published", "approve"): set(),
    ("published", "return"): set(),
}


@pytest.fixture
def second_head(people):
    from django.contrib.auth import get_user_model

    from projects.models import Section
    from workflow import roles

    user = get_user_model().objects.create_user("head2_ggzy", password="pw")
    roles.role_grant(user=user, role=roles.SECTION_HEAD, scope=Section.objects.get(name="公共资源交易中心"))
    return user


class Rollback(Exception):
    pass


def attempt(username, action, sheet):
    from django.contrib.auth import get_user_model

    method, url, body = ACTIONS[action]
    client = APIClient()
    if username:
        client.force_authenticate(get_user_model().objects.get(username=username))
    status = None
    try:
        with transaction.atomic():
            response = getattr(client, method)(url.format(pk=sheet.pk), body, format="json")
            status = response.status_code
            sheet.refresh_from_db()
            moved = (sheet.state, sheet.events.count())
            raise Rollback
    except Rollback:
        pass
    return status, moved


@pytest.mark.parametrize("state, action", list(ALLOWED), ids=[f"{s}-{a}" for s, a in ALLOWED])
def test_own_sheet(people, to_state, second_head, state, action):
    sheet = to_state(TargetSheet.objects.get(position=3), state)
    before = (sheet.state, sheet.events.count())
    allowed = ALLOWED[(state, action)]
    for username in USERS:
        status, after = attempt(username, action, sheet)
        if username in allowed:
            assert status == 200, (username, status)
        elif username is None:
            assert status in (401, 403), (username, status)
            assert after == before
        else:
            assert status in (403, 404, 409), (username, status)
            assert after == before, username
            readers = ALLOWED.get((state, "view"), OWN_READERS)
            if username not in readers:
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
        return sorted(row["project_code"][-4:] for row in client.get("/api/sheets/").json())

    assert listed("staff_ggzy") == sorted(["041X", "042H", "037P", "0364"])
    assert listed("staff_xy") == ["040A"]
    assert len(listed("leader")) == 9
    assert listed("finance") == ["041X"]  # only what reached finance, never drafts
    assert listed("other_staff") == ["0001"]
    assert listed("nobody") == []
    assert APIClient().get("/api/sheets/").status_code in (401, 403)
