"""A published sheet refuses edits through every door: service, browser, API, admin, import."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from projects.models import SheetState, TargetSheet
from workflow import services
from tests.refusals import refused


@pytest.fixture
def published(people, to_state):
    return to_state(TargetSheet.objects.get(position=3), "published")


def unchanged(sheet):
    sheet.refresh_from_db()
    return sheet.state == SheetState.PUBLISHED and sheet.purpose == "保证县内招投标正常运行"


def test_service_refuses(published, people):
    with refused(409):
        services.sheet_edit(
            sheet=published, user=people.staff_ggzy, expected_version=published.version, budget_total=1, fiscal_funds=1, other_funds=0,
            purpose="改", goal="改", plan={}, indicators=[],
        )
    assert unchanged(published)


def test_browser_edit_page_refuses(published, people):
    client = Client()
    client.force_login(people.staff_ggzy)
    response = client.get(f"/sheets/{published.pk}/edit/", follow=True)
    assert "不能由您修改" in response.content.decode()
    client.post(f"/sheets/{published.pk}/edit/", {"sheet-purpose": "改"})
    assert unchanged(published)


def test_api_patch_refuses_with_409(published, people):
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    response = client.patch(f"/api/sheets/{published.pk}/", {"purpose": "改"}, format="json")
    assert response.status_code == 409
    assert "已公开" in response.json()["detail"]
    assert unchanged(published)


def test_admin_shows_it_read_only(published, people):
    client = Client()
    client.force_login(people.admin)
    page = client.get(f"/admin/projects/targetsheet/{published.pk}/change/")
    assert page.status_code == 200
    assert 'name="purpose"' not in page.content.decode()
    client.post(f"/admin/projects/targetsheet/{published.pk}/change/", {"purpose": "改"})
    assert unchanged(published)


def test_import_refuses_it(published, seed_docx):
    out = io.StringIO()
    call_command("import_targets", str(seed_docx), "--year", "2024", stdout=out)
    assert "拒绝 1 张" in out.getvalue()
    assert unchanged(published)


def test_everyone_signed_in_reads_it_and_the_public_page_shows_it(published, people):
    client = Client()
    client.force_login(people.other_staff)
    assert client.get(f"/sheets/{published.pk}/").status_code == 200
    anonymous = Client()
    assert "公共资源交易中心经费" in anonymous.get("/public/").content.decode()
    assert anonymous.get(f"/public/sheets/{published.pk}/").status_code == 200
    assert anonymous.get(f"/public/sheets/{published.pk}/export.docx").status_code == 200
    draft = TargetSheet.objects.get(position=4)
    assert anonymous.get(f"/public/sheets/{draft.pk}/").status_code == 404
