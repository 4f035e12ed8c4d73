"""导入预览: uploading a Word file shows per sheet 新建 / 更新 (with the diff against the current draft) / 拒绝,
and whether the department goals change — and writes nothing until it is confirmed."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from core.errors import AppError
from people import roles
from people.services import role_grant
from projects.docx.data import IndicatorData
from projects.models import DepartmentGoals, Project, TargetSheet
from sheets import services as sheet_services
from sheets import word_import
from sheets.models import PendingImport
from workflow.models import Event

FILE_NAME = "laoting-approval-bureau-targets.docx"


@pytest.fixture
def colleague(people, sheet):
    """张三, a second 经办人 of 公共资源交易中心 (the section of sheets 1–4)."""
    user = get_user_model().objects.create_user(username="staff_ggzy2", password="pw", last_name="张", first_name="三")
    role_grant(user=user, role=roles.STAFF, scope=sheet.section)
    return user


def edit_quantity(sheet, user, value):
    """Save the 数量指标 value of ``sheet`` through the editor's service, as ``user``."""
    sheet.refresh_from_db()
    rows = [
        IndicatorData(i.category, i.subcategory, i.name, i.description, value if i.subcategory == "数量指标" else i.target_value, i.basis)
        for i in sheet.indicators.order_by("order", "id")
    ]
    return sheet_services.sheet_edit(sheet=sheet, user=user, expected_version=sheet.version, indicators=rows)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def upload(client, seed_docx, section, year="2024"):
    with open(seed_docx, "rb") as handle:
        return client.post("/import/", {"file": handle, "year": year, "section": section.pk if section else ""})


def state_of_everything():
    """What an import could touch: every sheet's version, editor and content, the history, the goals and names."""
    sheets = TargetSheet.objects.select_related("project").prefetch_related("plan__checkpoint", "indicators").order_by("pk")
    return {
        "sheets": [(s.pk, s.version, s.updated_by_id, s.state, s.snapshot()) for s in sheets],
        "events": list(Event.objects.order_by("pk").values_list("pk", "action")),
        "goals": list(DepartmentGoals.objects.values_list("overall", "itemized", "safeguards")),
        "projects": list(Project.objects.order_by("pk").values_list("pk", "name", "section_id")),
    }


def test_the_preview_shows_a_colleagues_saved_value_as_before_and_after_and_writes_nothing(people, sheet, colleague, seed_docx):
    edit_quantity(sheet, colleague, "40个")
    before = state_of_everything()
    client = signed_in(people.staff_ggzy)

    response = upload(client, seed_docx, sheet.section)
    assert response.status_code == 302
    pending = PendingImport.objects.get(uploaded_by=people.staff_ggzy)
    assert response["Location"] == f"/import/{pending.pk}/"
    page = client.get(response["Location"]).content.decode()

    assert "更新 1 张，拒绝 5 张，内容相同未改动 3 张" in page  # the section's other drafts hold the document already
    assert "修改指标 产出指标 / 数量指标 / 县内招投标数量：指标值 <del>40个</del> → <ins>≥150件</ins>" in page
    assert "最后由 张三 于" in page  # whose saved edit the import would replace
    assert "不能由本科室导入" in page  # other sections' sheets are refused, with the reason
    assert "本次导入不修改部门整体绩效目标" in page  # staff never write the goals
    assert "确认导入" in page and "取消" in page

    assert state_of_everything() == before  # versions, content, history, goals: nothing written
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"
    sheet.refresh_from_db()
    assert pending.expected_versions == {
        str(s.pk): s.version for s in TargetSheet.objects.filter(section=sheet.section)
    }
    assert (pending.file_name, pending.year, pending.section_id, pending.confirmed_at) == (FILE_NAME, 2024, sheet.section_id, None)
    assert bytes(pending.content) == seed_docx.read_bytes()

    client.get(response["Location"])  # looking again changes nothing either
    assert state_of_everything() == before


def test_the_preview_lists_new_updated_and_refused_sheets_and_the_goals_change(people, seed_docx, to_state):
    """An admin's preview: a sheet missing for the year would be created, a submitted one refused, the goals updated."""
    TargetSheet.objects.get(position=9).delete()
    to_state(TargetSheet.objects.get(position=1), "section_review")
    DepartmentGoals.objects.filter(agency__code="483001").update(overall="局领导改过的总体目标")
    before = state_of_everything()

    preview = word_import.import_preview(content=seed_docx.read_bytes(), file_name=FILE_NAME, year=2024, user=people.admin)

    kinds = [(s.code[-4:], s.kind) for s in preview.sheets]
    assert kinds == [
        ("041X", "refused"), ("042H", "unchanged"), ("037P", "unchanged"), ("0364", "unchanged"), ("040A", "unchanged"),
        ("038B", "unchanged"), ("035G", "unchanged"), ("034W", "unchanged"), ("039Y", "created"),
    ]  # the drafts hold the seed already
    refused = preview.sheets[0]
    assert "科室审核" in refused.reason and refused.sheet_id == TargetSheet.objects.get(position=1).pk
    assert preview.created[0].indicator_count == 6
    assert preview.goals.will_change and [c.label for c in preview.goals.changes] == ["总体绩效目标"]
    assert preview.goals.changes[0].before == "局领导改过的总体目标"
    assert preview.summary() == (
        "483001乐亭县行政审批局本级 2024年：新建 1 张，更新 0 张，拒绝 1 张，内容相同未改动 7 张，部门整体绩效目标将更新"
    )
    expected = preview.expected_versions
    assert {k: v for k, v in expected.items() if k != "goals"} == {str(s.sheet_id): s.version for s in preview.unchanged}
    assert expected["goals"]  # the goals it compared with: confirming checks they are unchanged
    assert state_of_everything() == before
    assert not TargetSheet.objects.filter(position=9).exists()


def test_the_preview_counts_change_count(people, sheet, colleague, seed_docx):
    sheet.refresh_from_db()
    sheet_services.sheet_edit(sheet=sheet, user=colleague, expected_version=sheet.version, purpose="新的用途", goal="新的目标")
    edit_quantity(sheet, colleague, "40个")
    preview = word_import.import_preview(
        content=seed_docx.read_bytes(), file_name=FILE_NAME, year=2024, section=sheet.section, user=people.staff_ggzy
    )
    mine = next(s for s in preview.sheets if s.sheet_id == sheet.pk)
    assert mine.kind == "updated" and mine.change_count == 3
    assert [(c.label, c.before) for c in mine.diff.fields] == [("资金用途", "新的用途"), ("绩效目标", "新的目标")]


def test_the_preview_page_counts_the_changes_it_lists(people, sheet, colleague, seed_docx):
    """A colleague added an indicator the document does not have: the import removes that row — one change, listed once."""
    sheet.refresh_from_db()
    rows = [IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
            for i in sheet.indicators.order_by("order", "id")]
    rows.append(IndicatorData("产出指标", "数量指标", "培训人次", "年度内培训人次", "≥200人次", "培训记录"))
    sheet_services.sheet_edit(sheet=sheet, user=colleague, expected_version=sheet.version, indicators=rows)
    client = signed_in(people.staff_ggzy)

    page = client.get(upload(client, seed_docx, sheet.section)["Location"]).content.decode()

    start = page.index(f'<a href="/sheets/{sheet.pk}/">')
    card = page[start:page.index("</section>", start)]
    listed = card.count("<li>")
    assert listed == 1 and "删除指标 产出指标 / 数量指标 / 培训人次" in card
    assert f"{listed} 处修改（当前草稿 → 导入后）" in card


def test_staff_of_another_section_cannot_import_over_this_sections_sheets(people, sheet, seed_docx):
    TargetSheet.objects.filter(position=5).update(purpose="信用办改过的用途")  # their own draft, which the file updates
    before = state_of_everything()
    other = signed_in(people.staff_xy)
    # the other section is not theirs to choose
    page = upload(other, seed_docx, sheet.section)
    assert page.status_code == 200 and "选择一个有效的选项" in page.content.decode()
    assert not PendingImport.objects.exists()
    with pytest.raises(AppError) as error:
        word_import.import_preview(content=seed_docx.read_bytes(), file_name=FILE_NAME, year=2024, section=sheet.section, user=people.staff_xy)
    assert error.value.status == 403

    # into their own section: this section's sheets are refused, in the preview and on confirmation
    own = TargetSheet.objects.get(position=5).section
    response = upload(other, seed_docx, own)
    page = other.get(response["Location"]).content.decode()
    assert "更新 1 张" in page and "拒绝 8 张" in page
    assert "“公共资源交易中心经费”属于“公共资源交易中心”，不能由本科室导入。" in page
    other.post(f"{response['Location']}confirm/")
    after = state_of_everything()
    changed = {pk for (pk, version, *_), (_, old_version, *_) in zip(after["sheets"], before["sheets"]) if version != old_version}
    assert changed == {TargetSheet.objects.get(position=5).pk}
    assert not Event.objects.filter(sheet=sheet).exists()


def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(people, sheet, tmp_path):
    bad = tmp_path / "旧格式.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    client = signed_in(people.staff_ggzy)
    with open(bad, "rb") as handle:
        page = client.post("/import/", {"file": handle, "year": "2024", "section": sheet.section_id}).content.decode()
    assert "导入失败，未做任何修改" in page and "旧格式.doc" in page
    assert not PendingImport.objects.exists()


def test_another_users_pending_import_is_not_found(people, sheet, colleague, seed_docx):
    response = upload(signed_in(people.staff_ggzy), seed_docx, sheet.section)
    url = response["Location"]
    before = state_of_everything()
    for intruder in (colleague, people.staff_xy, people.admin):
        client = signed_in(intruder)
        assert client.get(url).status_code == 404
        assert client.post(f"{url}confirm/").status_code == 404
        assert client.post(f"{url}cancel/").status_code == 404
    assert PendingImport.objects.filter(confirmed_at__isnull=True).count() == 1
    assert state_of_everything() == before


def test_anonymous_is_sent_to_sign_in(people, sheet, seed_docx):
    url = upload(signed_in(people.staff_ggzy), seed_docx, sheet.section)["Location"]
    anonymous = Client()
    for response in (
        anonymous.get("/import/"), anonymous.get(url), anonymous.post(f"{url}confirm/"), anonymous.post(f"{url}cancel/"),
        anonymous.post(f"/sheets/{sheet.pk}/restore/1/", {"version": "1"}),
    ):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert PendingImport.objects.get().confirmed_at is None


def test_pending_imports_older_than_a_day_are_deleted(people, sheet, seed_docx):
    client = signed_in(people.staff_ggzy)
    old_url = upload(client, seed_docx, sheet.section)["Location"]
    PendingImport.objects.update(created=timezone.now() - datetime.timedelta(days=1, minutes=1))
    assert client.get(old_url).status_code == 404  # expired: no longer offered
    new_url = upload(client, seed_docx, sheet.section)["Location"]
    assert PendingImport.objects.count() == 1 and new_url != old_url  # the upload cleared the expired one
    assert client.get(new_url).status_code == 200
