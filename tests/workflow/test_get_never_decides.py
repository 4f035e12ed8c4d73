"""A link opened from an e-mail or a WeCom text (or followed by a mail scanner) never decides anything.

Every decision — submit, withdraw, approve, return, reassign, restore an import, confirm or cancel an
import, mark notifications read, grant or revoke roles, (de)activate people, set a WeCom id, record
spending — is a POST by a signed-in person. This test GETs every URL of the site (each decision URL
with the person who could make that decision, on an object where it is possible) and proves that
nothing in the database changed.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from guardian.models import UserObjectPermission

from notifications.models import Channel, Notification, Preference
from people import roles
from people.models import RoleChange
from people.services import role_grant
from projects.models import DepartmentGoals, TargetSheet
from sheets.models import PendingImport
from spending.models import SpendReport
from tests.support import make_user
from workflow import services
from workflow.models import Event

DECISIONS = [
    # (URL, who could make the decision by POST)
    ("/sheets/{submittable}/submit/", "owner"),
    ("/sheets/{withdrawable}/withdraw/", "owner"),
    ("/sheets/{at_leader}/approve/", "leader"),
    ("/sheets/{at_leader}/return/", "leader"),
    ("/sheets/{at_leader}/reassign/", "leader"),
    ("/sheets/{submittable}/restore/{event}/", "owner"),
    ("/import/{pending}/confirm/", "owner"),
    ("/import/{pending}/cancel/", "owner"),
    ("/notifications/{notification}/read/", "leader"),
    ("/notifications/read-all/", "leader"),
    ("/people/{agency}/add/", "admin"),
    ("/people/{agency}/grant/", "admin"),
    ("/people/{agency}/revoke/", "admin"),
    ("/people/{agency}/people/{colleague}/deactivate/", "admin"),
    ("/people/{agency}/people/{colleague}/activate/", "admin"),
    ("/wecom/accounts/{agency}/set/", "admin"),
    ("/goals/{agency}/2024/", "leader"),
    ("/sheets/{at_leader}/spending/", "owner"),
    ("/api/sheets/{submittable}/submit/", "owner"),
    ("/api/sheets/{withdrawable}/withdraw/", "owner"),
    ("/api/sheets/{at_leader}/approve/", "leader"),
    ("/api/sheets/{at_leader}/return/", "leader"),
    ("/api/sheets/{at_leader}/reassign/", "leader"),
    ("/api/sheets/{at_leader}/spend-reports/", "owner"),
    ("/api/notifications/{notification}/read/", "leader"),
    ("/api/notifications/read-all/", "leader"),
    ("/logout/", "leader"),
    ("/wecom/callback/", "leader"),
    ("/wecom/oauth/", "leader"),
]


def fingerprint():
    """Everything a decision could change."""
    return {
        "sheets": sorted(TargetSheet.objects.values_list("pk", "state", "version", "assignee_id", "budget_total", "purpose")),
        "events": Event.objects.count(),
        "notifications": sorted(Notification.objects.values_list("pk", "status", "read_at")),
        "grants": UserObjectPermission.objects.count(),
        "role_changes": RoleChange.objects.count(),
        "people": sorted(get_user_model().objects.values_list("pk", "is_active", "password")),
        "wecom_ids": sorted(Preference.objects.values_list("user_id", "wecom_userid", "email_enabled", "wecom_enabled")),
        "imports": sorted(PendingImport.objects.values_list("pk", "confirmed_at")),
        "goals": sorted(DepartmentGoals.objects.values_list("pk", "overall")),
        "spending": SpendReport.objects.count(),
    }


@pytest.fixture
def scene(org, make_sheet):
    """One sheet of each kind a decision URL needs, and the people who could decide on them."""
    admin = make_user("office_admin", first_name="郑管理")
    role_grant(user=admin, role=roles.AGENCY_ADMIN, scope=org.agency)
    submittable = make_sheet()
    withdrawable = make_sheet()
    services.document_submit(document=withdrawable, user=org.owner)
    at_leader = make_sheet()
    services.document_submit(document=at_leader, user=org.owner)
    services.document_approve(document=at_leader, user=org.head)
    notification = Notification.objects.filter(recipient=org.leader, channel=Channel.IN_APP).first()
    pending = PendingImport.objects.create(uploaded_by=org.owner, file_name="目标.docx", content=b"", year=2024, section=org.office)
    values = {
        "submittable": submittable.pk, "withdrawable": withdrawable.pk, "at_leader": at_leader.pk,
        "event": Event.objects.filter(sheet=withdrawable).first().pk, "pending": pending.pk,
        "notification": notification.pk, "agency": org.agency.code, "colleague": org.colleague.pk,
    }
    people = {"owner": org.owner, "leader": org.leader, "admin": admin}
    return values, people



@pytest.mark.parametrize("url, who", DECISIONS, ids=[u for u, _ in DECISIONS])
def test_get_on_a_decision_url_changes_nothing(client, scene, url, who):
    values, people = scene
    client.force_login(people[who])
    before = fingerprint()

    response = client.get(url.format(**values), {"comment": "同意", "version": 1, "user": 1, "confirm": "1"})

    assert fingerprint() == before
    assert response.status_code in (200, 302, 400, 403, 404, 405), response.status_code


def _all_paths(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _all_paths(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_get_on_every_url_of_the_site_changes_nothing(client, scene, org):
    """Every route, as a superuser and as the leader, with real objects in its arguments."""
    values, people = scene
    fill = {"pk": values["at_leader"], "event_id": values["event"], "code": values["agency"], "year": "2024"}
    paths = []
    for path in _all_paths():
        if path.startswith("admin/") or "(?P" in path or "<path:" in path:
            continue
        paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(fill.get(m.group(1), 1)), path))
    superuser = get_user_model().objects.create_superuser("root_for_get", password="pw")
    assert len(paths) > 40
    for user in (superuser, people["leader"]):
        client.force_login(user)
        before = fingerprint()
        for path in paths:
            client.get(path)
            assert fingerprint() == before, path
