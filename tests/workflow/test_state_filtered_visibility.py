"""A list filtered on a state shows exactly the visible sheets in that state: the state filter narrows the
permission condition (roles that never see the state drop out of it) without changing who sees what, with role
scopes read as ids and with every role over the literal-ids limit."""

import pytest
from django.contrib.auth import get_user_model

from people import roles
from projects.models import SheetState, TargetSheet
from sheets import selectors
from workflow.permissions import visible_documents

USERS = ["staff_ggzy", "head_ggzy", "staff_xy", "leader", "finance", "other_staff", "other_finance", "nobody", "admin"]


@pytest.mark.parametrize("limit", [500, 0])
def test_each_state_filter_shows_the_visible_sheets_in_that_state(people, to_state, foreign_sheet, monkeypatch, limit):
    monkeypatch.setattr(roles, "LITERAL_IDS_MAX", limit)
    for position, state in ((1, "finance_review"), (2, "section_review"), (3, "published"), (4, "returned")):
        to_state(TargetSheet.objects.get(position=position, agency__code="483001"), state)
    User = get_user_model()
    for username in USERS:
        user = User.objects.get(username=username)
        everything = set(visible_documents(user, TargetSheet.objects.all()).values_list("pk", "state"))
        for state in SheetState.values:
            listed = set(selectors.sheet_list(user, state=state).values_list("pk", "state"))
            assert listed == {row for row in everything if row[1] == state}, (username, state)
        assert set(selectors.sheet_list(user).values_list("pk", "state")) == everything, username
    finance = User.objects.get(username="finance")
    assert selectors.sheet_list(finance, state="finance_review").exists()
    assert not selectors.sheet_list(finance, state="draft").exists()  # finance never sees drafts
    assert selectors.sheet_list(User.objects.get(username="staff_ggzy"), state="returned").exists()
