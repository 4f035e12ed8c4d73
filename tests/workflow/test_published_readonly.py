"""A published sheet refuses edits through every door: service, browser, API, admin, import."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from projects.models import SheetState, TargetSheet
from sheets import services as sheet_services
from tests.refusals import refused


@pytest.fixture
def published(people, to_state):
    return to_state(TargetSheet.objects.get(position=3), "published")


def unchanged(sheet):
    sheet.refresh_from_db()
    return sheet.state == SheetState.PUBLISHED and sheet.purpose == "保证县内招投标正常运行"


def test_service_refuses(published, people):
    with refused(409):
        sheet_services.sheet_edit(
            sheet=published, user=people.staff_ggzy, expected_version=published.version, budget_total=1, fiscal_funds=1, other_funds=0,
            purpose="改", goal="改", plan={}, indicators=[],
        )
    assert unchanged(published)


def test_browser_edit_page_refuses(published, people):
    client = Client()
    client.force_login(people.staff_ggzy)
    response = client.get(f"/sheets/{published.pk}/edit/", follow=True)
    assert "已公开，不能直接修改" in response.content.decode() and "目标调整" in response.content.decode()  # the way forward
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


# ---------------------------------------------------------------- what a published sheet shows of its project, agency, year


def _admin_post(client, url, **changes):
    """Post the real admin change form with ``changes`` on top of what it shows (read-only fields are not in it)."""
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: ("" if form[name].value() is None else form[name].value()) for name in form.fields}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        for inline in formset.formset.forms:
            data.update({inline.add_prefix(name): ("" if inline[name].value() is None else inline[name].value()) for name in inline.fields})
    data.update(changes, _save="保存")
    return client.post(url, data), form


def _public_page_and_word(sheet) -> tuple[str, str, str]:
    """The public page, and the project name and code of the public Word file."""
    from projects.docx.reader import read_document

    anonymous = Client()
    word = anonymous.get(f"/public/sheets/{sheet.pk}/export.docx")
    [table] = read_document(io.BytesIO(b"".join(word.streaming_content))).sheets
    return anonymous.get(f"/public/sheets/{sheet.pk}/").content.decode(), table.project_name, table.project_code


@pytest.fixture
def admin_client(people):
    client = Client()
    client.force_login(people.admin)
    return client


def test_a_superuser_cannot_rename_the_project_of_a_published_sheet(published, admin_client):
    project = published.project
    public_before = _public_page_and_word(published)
    assert public_before[1:] == (project.name, project.code)
    response, form = _admin_post(admin_client, f"/admin/projects/project/{project.pk}/change/", name="改过的项目名称", code="CHANGED")
    assert "name" not in form.fields and "code" not in form.fields  # shown read-only
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.code) == ("公共资源交易中心经费", published.project.code)
    assert _public_page_and_word(published) == public_before


def test_the_project_of_a_sheet_published_in_another_year_keeps_its_name_too(published, admin_client, people):
    """Any year's publication counts: the 2024 sheet is public, the project has a 2025 draft too."""
    from projects.models import FiscalYear

    draft_2025 = TargetSheet.objects.create(
        project=published.project, fiscal_year=FiscalYear.get_or_create_with_defaults(2025), agency=published.agency,
        section=published.section, position=published.position,
    )
    page = admin_client.get(f"/admin/projects/project/{draft_2025.project_id}/change/")
    assert "name" not in page.context["adminform"].form.fields


def test_a_project_without_a_published_sheet_can_still_be_renamed(people, admin_client):
    project = TargetSheet.objects.get(position=4).project
    response, form = _admin_post(admin_client, f"/admin/projects/project/{project.pk}/change/", name="新的项目名称")
    assert "name" in form.fields and response.status_code == 302
    project.refresh_from_db()
    assert project.name == "新的项目名称"


def test_model_validation_refuses_renaming_a_published_project_or_agency(published):
    from django.core.exceptions import ValidationError

    project = published.project
    project.name = "改过的项目名称"
    with pytest.raises(ValidationError) as refused_rename:
        project.full_clean()
    assert "已有公开的绩效目标表" in refused_rename.value.message_dict["name"][0]
    agency = published.agency
    agency.name = "改过的单位名称"
    with pytest.raises(ValidationError):
        agency.full_clean()


def test_a_superuser_cannot_rename_an_agency_with_a_published_sheet(published, admin_client):
    agency = published.agency
    response, form = _admin_post(admin_client, f"/admin/projects/agency/{agency.pk}/change/", name="改过的单位名称")
    assert "name" not in form.fields and "code" not in form.fields
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "乐亭县行政审批局本级"


def test_an_import_does_not_rename_an_agency_with_a_published_sheet(published, people, seed_docx):
    from projects.docx.reader import read_document
    from projects.docx.writer import write_document
    from sheets import word_import

    data = read_document(seed_docx)
    data.agency_name = "改过的单位名称"
    for table in data.sheets:
        table.agency_name = "改过的单位名称"
    buffer = io.BytesIO()
    write_document(data, buffer)
    preview = word_import.import_preview(content=buffer.getvalue(), file_name="2025.docx", year=2025, user=people.admin)
    assert any("改过的单位名称" in note for note in preview.notes)
    published.agency.refresh_from_db()
    assert published.agency.name == "乐亭县行政审批局本级"


def test_a_year_with_a_published_sheet_keeps_its_checkpoint_dates(published, admin_client):
    from django.core.exceptions import ValidationError

    year = published.fiscal_year
    june = year.checkpoints.get(date="2024-06-30")
    page = admin_client.get(f"/admin/projects/fiscalyear/{year.pk}/change/")
    [checkpoints] = page.context["inline_admin_formsets"]
    assert not checkpoints.has_change_permission and not checkpoints.has_delete_permission
    june.date = june.date.replace(month=7, day=31)
    with pytest.raises(ValidationError):
        june.full_clean()
    june.refresh_from_db()
    assert june.label == "6月底"
