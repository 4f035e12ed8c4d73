"""A character PostgreSQL cannot store (NUL, a lone surrogate) in a path, a filter, a form or an API body:
the user gets a 400 with a Chinese message — a page in the browser, ``{"detail": …}`` from the API — never a
500, and nothing is written."""

import json

import pytest
from django.test import Client

from exports.models import ExportJob
from people.models import RoleChange
from projects.models import TargetSheet
from spending.models import SpendReport
from workflow.models import Event

MESSAGE = "无法处理的字符"

PUBLIC_PAGES = ["/public/?q=%00", "/public/?agency=%00", "/public/?q=a%00b&year=2024"]
PAGES = [
    "/sheets/?q=%00", "/sheets/?agency=%00", "/sheets/?state=draft&q=%00",
    "/sheets/export.xlsx?q=%00", "/sheets/export.xlsx?agency=%00",  # the export's start page
    "/library/?q=%00", "/library/?category=%00", "/library/?subcategory=%00",
    "/library/suggest/?category=%E4%BA%A7%E5%87%BA%E6%8C%87%E6%A0%87&subcategory=%00&q=a",
    "/people/%00/", "/people/%00/log/", "/wecom/accounts/%00/",
    "/admin/projects/project/?q=%00", "/sheets/?%00=1",
]
API = ["/api/sheets/?q=%00", "/api/sheets/?agency=%00", "/api/sheets/export.xlsx?q=%00", "/api/sheets/export.xlsx?agency=%00"]


def client_for(user=None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def assert_refused_page(response):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert MESSAGE in response.content.decode()


def assert_refused_json(response):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert MESSAGE in response.json()["detail"]


@pytest.mark.parametrize("who", [None, "leader"])
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_nul_in_a_public_filter_is_a_chinese_400_signed_in_or_not(people, who, url):
    assert_refused_page(client_for(who and getattr(people, who)).get(url))


@pytest.mark.parametrize("who", ["unit_admin", "staff_ggzy", "admin"])
@pytest.mark.parametrize("url", PAGES)
def test_a_nul_in_a_page_filter_or_path_is_a_chinese_400(people, who, url):
    assert_refused_page(client_for(getattr(people, who)).get(url))


@pytest.mark.parametrize("who", [None, "finance"])
@pytest.mark.parametrize("url", API)
def test_a_nul_in_an_api_filter_is_a_json_400(people, who, url):
    assert_refused_json(client_for(who and getattr(people, who)).get(url))


def test_the_export_start_with_a_nul_filter_starts_nothing(people):
    response = client_for(people.finance).post("/exports/start/", {"kind": "xlsx", "q": "\x00", "agency": "483001"})
    assert_refused_page(response)
    assert not ExportJob.objects.exists()


def test_an_editor_save_with_a_nul_changes_nothing(people, sheet):
    from tests.sheets.test_sheet_edit_page import editor_post

    before = (sheet.purpose, sheet.version)
    response = client_for(people.staff_ggzy).post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, version=sheet.version, purpose="用途\x00"))
    assert_refused_page(response)
    sheet.refresh_from_db()
    assert (sheet.purpose, sheet.version) == before


def test_a_return_comment_with_a_nul_moves_nothing(people, sheet, to_state):
    to_state(sheet, "section_review")
    events = Event.objects.filter(sheet=sheet).count()
    response = client_for(people.head_ggzy).post(f"/sheets/{sheet.pk}/return/", {"comment": "请补充\x00", "version": str(sheet.version)})
    assert_refused_page(response)
    sheet.refresh_from_db()
    assert sheet.state == "section_review" and Event.objects.filter(sheet=sheet).count() == events


def test_adding_a_person_with_a_nul_adds_nobody(people):
    changes = RoleChange.objects.count()
    response = client_for(people.unit_admin).post("/people/483001/add/", {"username": "new\x00one", "last_name": "新", "first_name": "人"})
    assert_refused_page(response)
    assert RoleChange.objects.count() == changes
    assert not type(people.unit_admin).objects.filter(username__startswith="new").exists()


@pytest.mark.parametrize("text", ["用途\\u0000", "\\ud800用途", "\\udfff"])
@pytest.mark.parametrize("field", ["purpose", "indicator"])
def test_an_api_patch_with_an_escaped_nul_or_lone_surrogate_changes_nothing(people, sheet, text, field):
    client = client_for(people.staff_ggzy)
    body = f'{{"purpose": "{text}"}}' if field == "purpose" else f'{{"indicators": [{{"name": "{text}"}}]}}'
    before = (sheet.purpose, sheet.version)
    response = client.patch(f"/api/sheets/{sheet.pk}/", body, content_type="application/json", HTTP_IF_MATCH=sheet.etag)
    assert_refused_json(response)
    sheet.refresh_from_db()
    assert (sheet.purpose, sheet.version) == before


def test_an_api_body_with_a_proper_surrogate_pair_is_saved(people, sheet):
    """Not a false alarm: an emoji escaped as a surrogate pair is one ordinary character."""
    response = client_for(people.staff_ggzy).patch(
        f"/api/sheets/{sheet.pk}/", '{"purpose": "用途\\ud83d\\ude00"}', content_type="application/json", HTTP_IF_MATCH=sheet.etag
    )
    assert response.status_code == 200, response.content
    sheet.refresh_from_db()
    assert sheet.purpose == "用途\U0001f600"


def test_an_api_form_body_with_a_nul_is_a_json_400(people, sheet):
    """A PATCH's form body is parsed by the API alone (Django reads only a POST's): its parser refuses too."""
    from urllib.parse import urlencode

    response = client_for(people.staff_ggzy).patch(
        f"/api/sheets/{sheet.pk}/", urlencode({"purpose": "用途\x00"}), content_type="application/x-www-form-urlencoded",
        HTTP_IF_MATCH=sheet.etag,
    )
    assert_refused_json(response)


def test_a_spend_report_with_an_escaped_nul_records_nothing(people, sheet, to_state):
    to_state(sheet, "published")
    checkpoint = sheet.fiscal_year.checkpoints.order_by("date").first()
    body = json.dumps({"checkpoint": str(checkpoint.date), "amount": "1.00", "explanation": "说明\x00"})
    assert "\\u0000" in body
    response = client_for(people.staff_ggzy).post(f"/api/sheets/{sheet.pk}/spend-reports/", body, content_type="application/json")
    assert_refused_json(response)
    assert not SpendReport.objects.filter(sheet=sheet).exists()
