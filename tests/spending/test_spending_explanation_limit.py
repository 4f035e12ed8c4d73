"""A spending report's 进度说明 holds at most 2,000 characters (as a review comment), at every door: the service, the
page and the API. Beyond it the person reads why in Chinese and nothing is saved. The admin shows reports read-only."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from projects.models import Checkpoint
from spending import services as spending
from spending.models import SpendReport
from tests.refusals import refused

LIMIT = 2000
TOO_LONG = "原因" * 50_000  # the 100,000 characters of the issue
MESSAGE = f"“进度说明”最多 {LIMIT} 个字，现为 {len(TOO_LONG)} 个字。"


@pytest.fixture
def sheet(make_sheet, publish):
    return publish(make_sheet(budget="10.00"))


def june(org):
    return Checkpoint.objects.get(fiscal_year=org.year, date="2024-06-30")


def test_the_service_refuses_a_longer_explanation(org, sheet):
    with refused(400, match=MESSAGE):
        spending.spend_report_record(sheet=sheet, checkpoint=june(org), amount="4.00", explanation=TOO_LONG, user=org.owner)
    assert not SpendReport.objects.exists()


def test_an_explanation_of_exactly_the_limit_is_saved(org, sheet):
    report = spending.spend_report_record(sheet=sheet, checkpoint=june(org), amount="4.00", explanation="因" * LIMIT, user=org.owner)
    assert len(report.explanation) == LIMIT


def test_the_page_refuses_a_longer_explanation_and_saves_nothing(client, org, sheet):
    client.force_login(org.owner)
    response = client.post(f"/sheets/{sheet.pk}/spending/", {"checkpoint": june(org).pk, "amount": "4.00", "explanation": TOO_LONG})
    assert response.status_code == 400
    assert MESSAGE in response.content.decode()
    assert not SpendReport.objects.exists()


def test_the_page_form_tells_the_browser_the_limit(client, org, sheet):
    client.force_login(org.owner)
    page = client.get(f"/sheets/{sheet.pk}/spending/").content.decode()
    assert f'maxlength="{LIMIT}"' in page


def test_the_api_refuses_a_longer_explanation_and_saves_nothing(client, org, sheet):
    client.force_login(org.owner)
    response = client.post(
        f"/api/sheets/{sheet.pk}/spend-reports/", {"checkpoint": "2024-06-30", "amount": "4.00", "explanation": TOO_LONG},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert MESSAGE in str(response.json())
    assert not SpendReport.objects.exists()


def test_the_admin_shows_a_report_but_changes_adds_and_deletes_none(client, org, sheet):
    """Only the section's 经办人 records a report, through the service's checks: the admin reads it, and refuses a
    change (a longer explanation, an amount above the budget, another reporter), an addition and a deletion."""
    report = spending.spend_report_record(sheet=sheet, checkpoint=june(org), amount="4.00", explanation="采购延后", user=org.owner)
    admin = get_user_model().objects.create_superuser("root", password="pw")
    client.force_login(admin)
    url = f"/admin/spending/spendreport/{report.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and "采购延后" in page.content.decode()
    assert 'name="explanation"' not in page.content.decode() and 'name="amount"' not in page.content.decode()
    changed = {"sheet": sheet.pk, "checkpoint": report.checkpoint_id, "amount": "99.00", "explanation": TOO_LONG,
               "reported_by": admin.pk, "reported_at_0": "2024-07-01", "reported_at_1": "09:00:00", "_save": "保存"}
    assert client.post(url, changed).status_code == 403
    report.refresh_from_db()
    assert (report.amount, report.explanation, report.reported_by_id) == (Decimal("4.00"), "采购延后", org.owner.pk)
    assert client.get("/admin/spending/spendreport/add/").status_code == 403
    assert client.post(f"/admin/spending/spendreport/{report.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SpendReport.objects.filter(pk=report.pk).exists()
    listing = client.get("/admin/spending/spendreport/")
    assert listing.status_code == 200 and sheet.display_title in listing.content.decode()
