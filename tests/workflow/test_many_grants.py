"""A role held on more scopes than ``people.roles.LITERAL_IDS_MAX`` (a province's finance reviewer holds 20,000
agencies) is never read whole: lists and 待办 look the grant up per row, one sheet's check looks up one grant. Here
the limit is 0, so every role anyone holds takes that path, and every door keeps the same permissions: the
permission matrix, the other section, the other agency and the anonymous user, the lists, 待办 and its batch."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from people import roles
from projects.models import TargetSheet
from tests.support import drive
from tests.workflow.test_inbox_batch import (  # noqa: F401 — collected again here, with every role "many"
    test_batch_is_refused_for_other_section_other_agency_and_anonymous,
    test_batch_never_approves_a_sheet_with_checker_errors,
)
from tests.sheets.test_pages import (  # noqa: F401
    browser,
    test_inbox_counts_the_tasks_of_each_role,
    test_moves_by_outsiders_change_nothing,
    test_package_download_for_leader_and_finance_only_and_finance_never_gets_drafts,
    test_sheet_list_filters_by_state_and_errors,
    test_sheet_pages_are_not_found_for_the_other_section_and_agency,
)
from tests.workflow.test_permission_matrix import (  # noqa: F401
    colleagues,
    test_foreign_agency_sheet_is_invisible_to_this_agency,
    test_foreign_section_sheet_is_invisible_to_the_other_section,
    test_list_shows_only_what_each_role_may_see,
    test_own_sheet,
)


@pytest.fixture(autouse=True)
def every_role_is_many(monkeypatch):
    monkeypatch.setattr(roles, "LITERAL_IDS_MAX", 0)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_many_scope_role_is_not_read_whole_and_one_scope_is_one_lookup(people):
    finance = people.finance
    assert roles.scope_ids_upto(finance, roles.FINANCE_REVIEWER) is None
    assert roles.holds_any(finance, roles.FINANCE_REVIEWER)
    own, other = TargetSheet.objects.get(position=3).agency, people.other_agency
    with CaptureQueriesContext(connection) as lookups:
        assert roles.has_role(finance, roles.FINANCE_REVIEWER, own)
        assert not roles.has_role(finance, roles.FINANCE_REVIEWER, other)
        assert roles.has_role(finance, roles.FINANCE_REVIEWER, own)  # remembered for the request
    assert len(lookups) == 2
    assert roles.scope_ids(finance, roles.FINANCE_REVIEWER) == {own.pk}  # still exact when asked for
    assert not roles.holds_any(people.nobody, roles.FINANCE_REVIEWER)


def test_finance_lists_and_tasks_show_what_reached_finance_and_nothing_of_other_agencies(people, to_state, foreign_sheet):
    sheet = to_state(TargetSheet.objects.get(position=3), "finance_review")
    foreign = drive(foreign_sheet, ("submit", people.other_staff), ("approve", people.other_head), ("approve", people.other_leader))
    assert foreign.state == "finance_review"
    for url in ("/sheets/", "/sheets/?state=finance_review", "/tasks/"):
        page = signed_in(people.finance).get(url).content.decode()
        assert sheet.display_title in page, url
        assert foreign.display_title not in page, url
        other = signed_in(people.other_finance).get(url).content.decode()
        assert sheet.display_title not in other and foreign.display_title in other, url
    drafts = signed_in(people.finance).get("/sheets/?state=draft").content.decode()
    assert "公共资源交易中心经费" not in drafts  # finance never sees drafts
    assert signed_in(people.head_xy).get(f"/sheets/{sheet.pk}/").status_code == 404
    anonymous = Client().get("/sheets/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_one_scope_lookup_counts_a_delegation_only_while_it_is_in_force(people):
    """The finance reviewer lends their role to a colleague of the bureau for a week: the colleague holds it on the
    reviewer's agency during the week — and on no other — and not before it or after it is cancelled."""
    from datetime import timedelta

    from django.utils import timezone

    from people.models import Delegation

    finance, deputy = people.finance, people.other_finance
    own, other = TargetSheet.objects.get(position=3).agency, people.other_agency
    now = timezone.now()

    def holds(agency):
        return roles.has_role(type(deputy).objects.get(pk=deputy.pk), roles.FINANCE_REVIEWER, agency)

    assert not holds(own)
    delegation = Delegation.objects.create(
        principal=finance, delegate=deputy, start=now + timedelta(days=1), end=now + timedelta(days=8), reason="休假", created_by=finance,
    )
    assert not holds(own)  # not yet
    delegation.start = now - timedelta(hours=1)
    delegation.save()
    assert holds(own)
    assert holds(other)  # their own agency, by their own grant
    delegation.cancelled = now
    delegation.save()
    assert not holds(own)
