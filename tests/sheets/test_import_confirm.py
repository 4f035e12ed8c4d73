"""确认导入: writes what the preview showed and records it in the history with the previous content; a draft
changed since the preview refuses the whole import (412) and changes nothing; 取消 discards the upload."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from core.errors import AppError
from people import roles
from people.services import role_grant
from projects.docx.data import DepartmentGoalsData
from projects.models import DepartmentGoals, TargetSheet
from projects.services import goals_set
from sheets import word_import
from sheets.models import PendingImport
from tests.sheets.test_import_preview import FILE_NAME, edit_quantity, signed_in, state_of_everything, upload
from workflow import services
from workflow.models import Action, Event


@pytest.fixture
def colleague(people, sheet):
    user = get_user_model().objects.create_user(username="staff_ggzy2", password="pw", last_name="张", first_name="三")
    role_grant(user=user, role=roles.STAFF, scope=sheet.section)
    return user


def previewed(client: Client, seed_docx, section) -> str:
    response = upload(client, seed_docx, section)
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_confirming_writes_and_the_history_names_the_importer_and_the_file(people, sheet, colleague, seed_docx):
    edit_quantity(sheet, colleague, "40个")
    sheet.refresh_from_db()
    previous = TargetSheet.objects.prefetch_related("plan__checkpoint", "indicators").get(pk=sheet.pk).snapshot()
    version = sheet.version
    client = signed_in(people.staff_ggzy)
    url = previewed(client, seed_docx, sheet.section)

    page = client.post(f"{url}confirm/").content.decode()

    assert "更新 1 张，拒绝 5 张，内容相同未改动 3 张" in page and f"导入结果：{FILE_NAME}" in page
    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "≥150件"
    assert sheet.version == version + 1 and sheet.updated_by == people.staff_ggzy
    event = sheet.events.get(action=Action.IMPORT)
    assert event.actor == people.staff_ggzy
    assert event.comment == f"导入文件“{FILE_NAME}”"
    assert event.snapshot == previous  # the colleague's content, restorable
    assert (event.from_state, event.to_state) == ("draft", "draft")
    imported = set(Event.objects.filter(action=Action.IMPORT).values_list("sheet__position", flat=True))
    assert imported == {3}  # the changed draft only: the refused sheets and the drafts that hold the file have no entry
    assert PendingImport.objects.get().confirmed_at is not None

    history = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert "导入 Word" in history and f"导入文件“{FILE_NAME}”" in history
    assert '<span data-testid="event-actor">王芳</span>' in history

    # a second confirmation (a reloaded result page) imports nothing again
    again = client.post(f"{url}confirm/", follow=True)
    assert "这次导入已经确认过了" in again.content.decode()
    assert signed_in(colleague).post(f"{url}confirm/").status_code == 404  # and tells nobody else anything
    assert Event.objects.filter(action=Action.IMPORT).count() == 1


def test_drafts_that_already_hold_the_file_are_not_counted_as_updated_nor_touched(people, sheet, colleague, seed_docx):
    """Sheets 1, 2 and 4 hold the document's content: 更新 counts only sheet 3, and the others keep their version,
    editor and history (no 导入 entry to restore from, nothing for a colleague's open editor to collide with)."""
    edit_quantity(sheet, colleague, "40个")
    others = {s.pk: (s.version, s.updated_by_id, s.updated) for s in TargetSheet.objects.filter(position__in=(1, 2, 4))}
    client = signed_in(people.staff_ggzy)
    url = previewed(client, seed_docx, sheet.section)
    preview = client.get(url).content.decode()
    assert "更新 1 张" in preview and preview.count("与文件内容相同，不会改动") == 3

    page = client.post(f"{url}confirm/").content.decode()

    assert "更新 1 张" in page and "内容相同，未改动" in page
    after = {s.pk: (s.version, s.updated_by_id, s.updated) for s in TargetSheet.objects.filter(position__in=(1, 2, 4))}
    assert after == others
    assert not Event.objects.filter(sheet__in=others, action=Action.IMPORT).exists()


def test_a_draft_edited_after_the_preview_refuses_the_whole_import_and_changes_nothing(people, sheet, colleague, seed_docx):
    client = signed_in(people.staff_ggzy)
    url = previewed(client, seed_docx, sheet.section)
    edit_quantity(sheet, colleague, "40个")  # saved while the importer looks at the preview
    sheet.refresh_from_db()
    before = state_of_everything()

    response = client.post(f"{url}confirm/", follow=True)

    page = response.content.decode()
    when = timezone.localtime(sheet.updated).strftime("%Y-%m-%d %H:%M")
    message = f"“公共资源交易中心经费”已由 张三 于 {when} 修改，导入预览已过期，请重新上传预览。"
    assert message in page
    assert response.redirect_chain[-1][0] == "/import/"
    assert state_of_everything() == before  # versions, content, history: unchanged
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"
    assert PendingImport.objects.get().confirmed_at is None

    # the preview page says so too, and offers no 确认导入
    preview = client.get(url).content.decode()
    assert message in preview and 'data-testid="confirm-import"' not in preview
    with pytest.raises(AppError) as error:
        word_import.import_confirm(pending=PendingImport.objects.get(), user=people.staff_ggzy)
    assert error.value.status == 412 and error.value.message == message
    assert state_of_everything() == before


def test_a_sheet_refused_in_the_preview_that_became_a_draft_since_also_refuses_the_import(people, seed_docx, to_state):
    """Sheet 1 was under review (拒绝) at the preview and has been withdrawn since: importing would overwrite it unseen."""
    first = TargetSheet.objects.get(position=1)
    to_state(first, "section_review")
    client = signed_in(people.staff_ggzy)
    url = previewed(client, seed_docx, first.section)
    assert "“" + first.display_title + "”处于“科室审核”状态" in client.get(url).content.decode()
    services.document_withdraw(document=first, user=people.staff_ggzy)
    before = state_of_everything()

    page = client.post(f"{url}confirm/", follow=True).content.decode()

    assert f"“{first.display_title}”已由 王芳 于" in page and "导入预览已过期" in page
    assert state_of_everything() == before


def test_cancel_discards_the_upload_and_writes_nothing(people, sheet, seed_docx):
    client = signed_in(people.staff_ggzy)
    url = previewed(client, seed_docx, sheet.section)
    before = state_of_everything()
    response = client.post(f"{url}cancel/", follow=True)
    assert "已取消导入" in response.content.decode()
    assert not PendingImport.objects.exists()
    assert client.get(url).status_code == 404
    assert client.post(f"{url}confirm/").status_code == 404
    assert state_of_everything() == before


def test_a_created_sheet_is_recorded_without_previous_content(people, seed_docx):
    TargetSheet.objects.get(position=9).delete()
    client = signed_in(people.admin)
    response = client.post("/import/", {"file": seed_docx.open("rb"), "year": "2024", "section": ""})
    url = response["Location"]
    assert "新建 1 张，更新 0 张，拒绝 0 张，内容相同未改动 8 张" in client.get(url).content.decode()
    client.post(f"{url}confirm/")
    created = TargetSheet.objects.get(position=9)
    event = created.events.get()
    assert (event.action, event.actor, event.snapshot) == (Action.IMPORT, people.admin, None)
    assert Event.objects.filter(action=Action.IMPORT).count() == 1


def test_a_staff_member_who_lost_the_role_since_the_preview_cannot_confirm(people, sheet, colleague, seed_docx):
    from people.services import role_revoke

    client = signed_in(colleague)
    url = previewed(client, seed_docx, sheet.section)
    before = state_of_everything()
    role_revoke(user=colleague, role=roles.STAFF, scope=sheet.section)
    page = client.post(f"{url}confirm/", follow=True).content.decode()
    assert "经办人可以导入" in page
    assert state_of_everything() == before


def test_goals_edited_after_the_preview_refuse_the_import_and_keep_the_leaders_text(people, seed_docx):
    """An admin's upload would replace the department goals; the leader saves new goals while the admin reads the
    preview: confirming is refused, names the goals and who changed them, and changes nothing."""
    pending, preview = word_import.import_upload(
        user=people.admin, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2024
    )
    assert preview.goals.written
    goals = DepartmentGoals.objects.get(agency__code="483001", fiscal_year__year=2024)
    goals_set(
        agency=goals.agency, fiscal_year=goals.fiscal_year, user=people.leader,
        goals=DepartmentGoalsData(overall=["局领导刚改的总体目标"], itemized=goals.itemized.split("\n"),
                                  safeguards=goals.safeguards.split("\n")),
    )
    before = state_of_everything()

    with pytest.raises(AppError) as refused:
        word_import.import_confirm(pending=pending, user=people.admin)

    assert refused.value.status == 412
    assert "部门整体绩效目标已由 " in refused.value.message and word_import.STALE in refused.value.message
    assert state_of_everything() == before
    assert DepartmentGoals.objects.get(pk=goals.pk).overall == "局领导刚改的总体目标"
    assert PendingImport.objects.get(pk=pending.pk).confirmed_at is None


def test_goals_saved_again_with_the_same_text_let_the_import_through(people, seed_docx):
    """The check is on what the preview showed: a save that changes no text does not refuse the import."""
    goals = DepartmentGoals.objects.get(agency__code="483001", fiscal_year__year=2024)
    DepartmentGoals.objects.filter(pk=goals.pk).update(overall="局领导改过的总体目标")
    pending, preview = word_import.import_upload(
        user=people.admin, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2024
    )
    assert preview.goals.will_change
    DepartmentGoals.objects.filter(pk=goals.pk).update(overall="临时")
    DepartmentGoals.objects.filter(pk=goals.pk).update(overall="局领导改过的总体目标")

    result = word_import.import_confirm(pending=pending, user=people.admin)

    assert result.goals_updated
    assert DepartmentGoals.objects.get(pk=goals.pk).overall == goals.overall  # the document's text


@pytest.mark.django_db(transaction=True)
def test_two_confirms_of_the_same_new_year_import_at_once_import_it_once_and_tell_the_other_the_preview_is_stale(seed_docx):
    """Two colleagues upload the department's 2025 document (every sheet 新建 in both previews) and press 确认导入
    together: one import is written, the other is refused with the stale-preview message and writes nothing."""
    import threading

    from django.db import connection

    from tests.conftest import _seed_demo

    _seed_demo()
    staff = get_user_model().objects.get(username="staff_ggzy")
    section = TargetSheet.objects.get(position=3, fiscal_year__year=2024).section
    other = get_user_model().objects.create_user(username="staff_ggzy2", password="pw", last_name="张", first_name="三")
    role_grant(user=other, role=roles.STAFF, scope=section)
    pendings = {}
    for user in (staff, other):
        pending, preview = word_import.import_upload(
            user=user, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2025, section=section
        )
        assert len(preview.created) == 4 and not preview.updated
        pendings[user] = pending

    barrier = threading.Barrier(2)
    outcomes = []

    def confirm(user):
        try:
            barrier.wait(timeout=10)
            word_import.import_confirm(pending=pendings[user], user=user)
            outcomes.append("ok")
        except AppError as error:
            outcomes.append(f"{error.status} {error.message}")
        except Exception as error:  # what the person would have seen as a server error
            outcomes.append(f"500 {error!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(user,)) for user in (staff, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("ok") == 1 and len(outcomes) == 2, outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert loser.startswith("412 ") and loser.endswith(word_import.STALE), loser
    assert TargetSheet.objects.filter(fiscal_year__year=2025).count() == 4  # written once
    assert Event.objects.filter(action=Action.IMPORT, sheet__fiscal_year__year=2025).count() == 4
    assert PendingImport.objects.filter(confirmed_at__isnull=False).count() == 1
