"""The doors of 目标调整: the 目标调整 button and form on a published sheet's page, the adjustment edited and
reviewed on the sheet pages by its own id (reason and diff in view), the API (open, read, patch with If-Match,
move), the public page with the versions' dates and their Word files; the other section, the other agency and the
anonymous user refused at every new door."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.models import SheetState, TargetSheet
from tests.support import drive

REASON = "上级追加任务，调整数量指标。"
NEW_VALUE = "≥8888件"


@pytest.fixture
def published(people, sheet, to_state):
    return to_state(sheet, "published")


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


def test_the_sections_staff_open_an_adjustment_from_the_sheets_page_and_edit_it_in_the_editor(people, published):
    page = _browser(people.staff_ggzy).get(f"/sheets/{published.pk}/").content.decode()
    assert 'data-testid="adjustment-new"' in page and 'data-testid="versions"' in page
    for other in (people.head_ggzy, people.staff_xy, people.other_staff):
        assert 'data-testid="adjustment-new"' not in _browser(other).get(f"/sheets/{published.pk}/").content.decode()

    staff = _browser(people.staff_ggzy)
    assert staff.get(f"/sheets/{published.pk}/adjust/").status_code == 200
    refused = staff.post(f"/sheets/{published.pk}/adjust/", {"reason": ""})
    assert refused.status_code == 400 and "请填写调整原因" in refused.content.decode()
    response = staff.post(f"/sheets/{published.pk}/adjust/", {"reason": REASON, "adjusted_budget": ""})
    adjustment = TargetSheet.documents.get(revises=published)
    assert response.status_code == 302 and response["Location"] == f"/sheets/{adjustment.pk}/edit/"
    editor = staff.get(f"/sheets/{adjustment.pk}/edit/").content.decode()
    assert 'data-testid="adjustment-diff"' in editor and REASON in editor and "（目标调整）" in editor

    second = staff.post(f"/sheets/{published.pk}/adjust/", {"reason": "再调一次"})
    assert second.status_code == 409 and "进行中的目标调整" in second.content.decode()
    detail = staff.get(f"/sheets/{published.pk}/").content.decode()
    assert 'data-testid="adjustment-open"' in detail and 'data-testid="adjustment-new"' not in detail


@pytest.mark.parametrize("who", ["staff_xy", "other_staff", "head_ggzy"])
def test_the_other_section_the_other_agency_and_a_reviewer_may_not_open_one(people, published, who):
    response = _browser(getattr(people, who)).post(f"/sheets/{published.pk}/adjust/", {"reason": REASON})
    assert response.status_code == 403 and "经办人" in response.content.decode()
    api = _api(getattr(people, who)).post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json")
    assert api.status_code == 403 and "经办人" in api.json()["detail"]
    assert not TargetSheet.all_objects.filter(revises=published).exists()


def test_the_anonymous_user_is_refused_at_every_new_door(people, published):
    anonymous = _browser()
    assert anonymous.get(f"/sheets/{published.pk}/adjust/").status_code == 302  # to the sign-in page
    assert anonymous.post(f"/sheets/{published.pk}/adjust/", {"reason": REASON}).status_code == 302
    assert _api().post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json").status_code in (401, 403)
    assert not TargetSheet.all_objects.filter(revises=published).exists()
    adjustment = _api(people.staff_ggzy).post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json").json()["id"]
    assert anonymous.get(f"/sheets/{adjustment}/").status_code == 302
    assert _api().get(f"/api/sheets/{adjustment}/").status_code in (401, 403)
    # the other agency does not see an adjustment under way (as a draft of another agency)
    assert _browser(people.other_staff).get(f"/sheets/{adjustment}/").status_code == 404
    assert _api(people.other_leader).get(f"/api/sheets/{adjustment}/").status_code == 404


def test_the_api_opens_reads_patches_and_moves_an_adjustment_by_its_own_id(people, published):
    staff = _api(people.staff_ggzy)
    opened = staff.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON, "adjusted_budget": "40.00"}, format="json")
    assert opened.status_code == 201, opened.content
    pk = opened.json()["id"]
    assert opened["ETag"] == TargetSheet.documents.get(pk=pk).etag  # ready to PATCH with If-Match
    second = staff.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": "又一次"}, format="json")
    assert second.status_code == 409 and "进行中的目标调整" in second.json()["detail"]

    sheet = staff.get(f"/api/sheets/{published.pk}/").json()
    assert sheet["adjustment"]["id"] == pk and sheet["adjustment"]["reason"] == REASON
    assert [v["current"] for v in sheet["versions"]] == [True]
    read = staff.get(f"/api/sheets/{pk}/")
    body = read.json()
    assert body["revises"] == published.pk and body["reason"] == REASON and body["budget_total"] == "40.00"
    rows = body["indicators"]
    rows[0]["target_value"] = NEW_VALUE
    patched = staff.patch(f"/api/sheets/{pk}/", {"indicators": rows, "fiscal_funds": "40.00"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert patched.status_code == 200, patched.content
    assert staff.post(f"/api/sheets/{pk}/submit/", {}, format="json").status_code == 200
    for reviewer in (people.head_ggzy, people.leader, people.finance):
        assert _api(reviewer).post(f"/api/sheets/{pk}/approve/", {}, format="json").status_code == 200

    sheet = staff.get(f"/api/sheets/{published.pk}/").json()
    assert sheet["adjustment"] is None and sheet["indicators"][0]["target_value"] == NEW_VALUE
    assert [v["reason"] for v in sheet["versions"]] == ["", REASON] and sheet["budget_total"] == "40.00"
    assert sheet["versions"][0]["until"] == sheet["versions"][1]["date"]
    # its Word file: the budget with its 年初 amount beside it, read back as the adjusted amount
    from projects.docx.reader import read_document
    from projects.docx.writer import format_amount
    from tests.projects.docx_helpers import all_cell_texts, open_docx

    word = b"".join(_browser().get(f"/public/sheets/{published.pk}/export.docx").streaming_content)
    assert f"40.00（年初：{format_amount(published.budget_total)}）" in all_cell_texts(open_docx(word))
    [read] = read_document(io.BytesIO(word)).sheets
    assert read.budget_total == Decimal("40.00") and NEW_VALUE in [i.target_value for i in read.indicators]


def test_the_reviewer_sees_the_reason_and_the_diff(people, published):
    staff = _api(people.staff_ggzy)
    pk = staff.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json").json()["id"]
    adjustment = TargetSheet.documents.get(pk=pk)
    rows = staff.get(f"/api/sheets/{pk}/").json()["indicators"]
    old_value = rows[0]["target_value"]
    rows[0]["target_value"] = NEW_VALUE
    staff.patch(f"/api/sheets/{pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=adjustment.etag)
    drive(adjustment, ("submit", people.staff_ggzy))
    page = _browser(people.head_ggzy).get(f"/sheets/{pk}/").content.decode()
    assert REASON in page and 'data-testid="adjustment-diff"' in page
    assert f"<del>{old_value}</del> → <ins>{NEW_VALUE}</ins>" in page.replace("&ge;", "≥")
    assert "科室审核" in page


def test_the_public_page_shows_the_version_in_force_and_the_earlier_ones_as_word(people, published):
    from tests.projects.docx_helpers import all_cell_texts, open_docx

    staff = _api(people.staff_ggzy)
    pk = staff.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json").json()["id"]
    adjustment = TargetSheet.documents.get(pk=pk)
    rows = staff.get(f"/api/sheets/{pk}/").json()["indicators"]
    old_value = rows[0]["target_value"]
    rows[0]["target_value"] = NEW_VALUE
    staff.patch(f"/api/sheets/{pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=adjustment.etag)
    anonymous = _browser()
    assert 'data-testid="public-versions"' not in anonymous.get(f"/public/sheets/{published.pk}/").content.decode()
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))

    page = anonymous.get(f"/public/sheets/{published.pk}/").content.decode()
    versions = page[page.index('data-testid="public-versions"'):]
    assert "现行版本" in versions and "调整前" in versions and adjustment.state_since.astimezone().strftime("%Y-%m-%d") in versions
    assert NEW_VALUE in page.replace("&ge;", "≥")
    archived = TargetSheet.all_objects.get(revises=published, revision="version")
    word = anonymous.get(f"/public/sheets/{published.pk}/versions/{archived.pk}/export.docx")
    assert word.status_code == 200 and "%E8%B0%83%E6%95%B4%E5%89%8D" in word["Content-Disposition"]  # 调整前
    document = open_docx(b"".join(word.streaming_content))
    cells = all_cell_texts(document)
    assert old_value in cells and NEW_VALUE not in cells
    assert "（调整前）" in "".join(p.text for p in document.paragraphs) + "".join(cells)
    # the Word file of the version in force: 年初 and 调整后 side by side where they differ
    current = all_cell_texts(open_docx(b"".join(anonymous.get(f"/public/sheets/{published.pk}/export.docx").streaming_content)))
    assert f"{NEW_VALUE}（年初：{old_value}）" in current
    leader = _browser(people.leader)
    package_bytes = b"".join(leader.get(f"/agencies/{published.agency.code}/2024/package.docx").streaming_content)
    package = all_cell_texts(open_docx(package_bytes))
    assert f"{NEW_VALUE}（年初：{old_value}）" in package
    # read back (the package imported again, say into next year): the adjusted values, not their 年初 notes
    from projects.docx.reader import read_document

    [read] = [s for s in read_document(io.BytesIO(package_bytes)).sheets if s.project_code == published.project.code]
    assert NEW_VALUE in [i.target_value for i in read.indicators]
    # an adjustment is not a version, nor another sheet's
    assert anonymous.get(f"/public/sheets/{published.pk}/versions/{pk}/export.docx").status_code == 404
    assert anonymous.get(f"/public/sheets/{pk}/versions/{archived.pk}/export.docx").status_code == 404


def test_the_openapi_schema_has_the_adjustment_door_and_fields(people):
    schema = _api(people.staff_ggzy).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/sheets/{id}/adjustments/" in schema
    for name in ('"adjustment"', '"versions"', '"revises"', '"reason"'):
        assert name in schema


def test_an_earlier_version_is_restored_from_the_sheets_page_as_a_new_adjustment(people, published):
    staff = _browser(people.staff_ggzy)
    first = TargetSheet.documents.get(pk=_api(people.staff_ggzy).post(
        f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON, "adjusted_budget": "12.00"}, format="json").json()["id"])
    TargetSheet.documents.filter(pk=first.pk).update(fiscal_funds=first.budget_total, other_funds=0)  # the money kept whole
    drive(first, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    archived = TargetSheet.all_objects.get(revises=published, revision="version")
    page = staff.get(f"/sheets/{published.pk}/").content.decode()
    assert f"/sheets/{published.pk}/adjust/?restore={archived.pk}" in page
    form = staff.get(f"/sheets/{published.pk}/adjust/?restore={archived.pk}").content.decode()
    assert 'data-testid="adjustment-restore"' in form and 'name="restore"' in form
    response = staff.post(f"/sheets/{published.pk}/adjust/", {"reason": "撤销上次调整", "restore": archived.pk})
    undo = TargetSheet.documents.get(revises=published, state=SheetState.DRAFT)
    assert response.status_code == 302 and undo.budget_total == archived.budget_total != Decimal("12.00")


def test_finance_is_told_approving_an_adjustment_puts_it_in_force_not_that_it_publishes_a_sheet(people, published):
    staff = _api(people.staff_ggzy)
    pk = staff.post(f"/api/sheets/{published.pk}/adjustments/", {"reason": REASON}, format="json").json()["id"]
    adjustment = TargetSheet.documents.get(pk=pk)
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader))
    page = _browser(people.finance).get(f"/sheets/{pk}/").content.decode()
    assert "通过后这份调整立即生效" in page and "这张表将立即公开" not in page
