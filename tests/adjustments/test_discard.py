"""放弃调整: the sheet's 经办人 discards a draft or returned adjustment (page with a confirmation, API), the history of
the sheet in force records who, when and the reason, and a new adjustment can be opened; refused for an adjustment
under review or applied, for the other section, the other agency, a reviewer and the anonymous user, and on a stale
version."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from adjustments import services as adjustments
from core.errors import AppError
from projects.models import SheetState, TargetSheet
from projects.revisions import open_adjustment
from tests.support import drive
from workflow import services
from workflow.models import Action, Event

REASON = "上级追加任务，调整数量指标。"


@pytest.fixture
def published(people, sheet, to_state):
    return to_state(sheet, "published")


def _open(people, sheet, reason=REASON):
    return adjustments.adjustment_open(sheet=sheet, user=people.staff_ggzy, reason=reason)


def _browser(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_staff_discard_a_draft_on_its_page_and_the_history_records_it(people, published):
    adjustment = _open(people, published)
    staff = _browser(people.staff_ggzy)
    page = staff.get(f"/sheets/{adjustment.pk}/").content.decode()
    assert 'data-testid="adjustment-discard"' in page and "放弃调整" in page and "data-confirm=" in page
    response = staff.post(f"/sheets/{adjustment.pk}/discard/", {"version": adjustment.version})
    assert response.status_code == 302 and response["Location"] == f"/sheets/{published.pk}/"
    assert not TargetSheet.all_objects.filter(pk=adjustment.pk).exists() and open_adjustment(published) is None
    event = Event.objects.get(sheet=published, action=Action.DISCARD)
    assert event.actor == people.staff_ggzy and REASON in event.comment
    assert event.from_state == event.to_state == SheetState.PUBLISHED
    detail = staff.get(f"/sheets/{published.pk}/").content.decode()
    assert "放弃调整" in detail and REASON in detail and 'data-testid="adjustment-new"' in detail
    published.refresh_from_db()
    assert published.state == SheetState.PUBLISHED
    assert _open(people, published, reason="重新调整").state == SheetState.DRAFT  # a new one can be opened


def test_a_returned_adjustment_is_discarded_over_the_api_and_a_new_one_opened(people, published):
    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy), ("return", people.head_ggzy, "不必调整"))
    assert adjustment.state == SheetState.RETURNED
    api = _api(people.staff_ggzy)
    stale = api.post(f"/api/sheets/{adjustment.pk}/discard/", HTTP_IF_MATCH=f'"{adjustment.pk}-{adjustment.version - 1}"')
    assert stale.status_code == 409 and "刷新" in stale.json()["detail"]
    response = api.post(f"/api/sheets/{adjustment.pk}/discard/", HTTP_IF_MATCH=f'"{adjustment.etag}"')
    assert response.status_code == 200 and response.json() == {"discarded": adjustment.pk, "sheet": published.pk}
    history = api.get(f"/api/sheets/{published.pk}/").json()
    assert history["adjustment"] is None
    assert any(e["action"] == Action.DISCARD and REASON in e["comment"] for e in history["history"])
    opened = api.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": "重新调整"}, format="json")
    assert opened.status_code == 201


def test_an_adjustment_under_review_or_applied_is_not_discarded(people, published):
    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy))
    with pytest.raises(AppError) as refused:
        adjustments.adjustment_discard(adjustment=adjustment, user=people.staff_ggzy)
    assert refused.value.status == 409 and "不能放弃" in refused.value.message
    response = _browser(people.staff_ggzy).post(f"/sheets/{adjustment.pk}/discard/", {"version": adjustment.version}, follow=True)
    assert "不能放弃" in response.content.decode() and TargetSheet.documents.filter(pk=adjustment.pk).exists()
    assert 'data-testid="adjustment-discard"' not in response.content.decode()
    drive(adjustment, ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    assert _api(people.staff_ggzy).post(f"/api/sheets/{adjustment.pk}/discard/").status_code == 409
    with pytest.raises(AppError) as not_one:  # the sheet in force is no adjustment
        adjustments.adjustment_discard(adjustment=published, user=people.staff_ggzy)
    assert not_one.value.status == 409 and not Event.objects.filter(action=Action.DISCARD).exists()


@pytest.mark.parametrize("who", ["staff_xy", "other_staff", "head_ggzy", "leader"])
def test_the_other_section_the_other_agency_and_a_reviewer_may_not_discard(people, published, who):
    adjustment = _open(people, published)
    user = getattr(people, who)
    page = _browser(user).get(f"/sheets/{adjustment.pk}/")
    assert 'data-testid="adjustment-discard"' not in page.content.decode()
    response = _api(user).post(f"/api/sheets/{adjustment.pk}/discard/")
    assert response.status_code in (403, 404)
    if response.status_code == 403:
        assert "经办人" in response.json()["detail"]
    with pytest.raises(AppError) as refused:
        adjustments.adjustment_discard(adjustment=adjustment, user=user)
    assert refused.value.status == 403 and "只有本科室经办人可以放弃" in refused.value.message
    assert TargetSheet.documents.filter(pk=adjustment.pk).exists()


def test_the_anonymous_user_may_not_discard(people, published):
    adjustment = _open(people, published)
    assert _browser().post(f"/sheets/{adjustment.pk}/discard/").status_code == 302  # to the sign-in page
    assert _api().post(f"/api/sheets/{adjustment.pk}/discard/").status_code in (401, 403)
    assert TargetSheet.documents.filter(pk=adjustment.pk).exists()


def test_the_discard_is_in_the_openapi_schema(people):
    schema = _api(people.staff_ggzy).get("/api/schema/").content.decode()
    assert "/api/sheets/{id}/discard/" in schema
