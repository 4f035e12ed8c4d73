"""目标调整 (issue 20): a published sheet changed through the same chain, the version in force untouched until the
last step approves, one adjustment under way at a time, undo as another adjustment, and nothing of an adjustment
under way leaking to what the public, exports, spending, reminders and the library read."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from openpyxl import load_workbook

from adjustments import services as adjustments
from projects import revisions as selectors
from core.errors import AppError
from library.models import Usage
from notifications.nudges import nudges_due
from projects.docx.data import IndicatorData
from projects.models import Revision, SheetState, TargetSheet
from spending import services as spending
from tests.projects.docx_helpers import all_cell_texts, open_docx
from tests.support import drive
from sheets import services as sheet_services
from workflow import services
from workflow.models import Action, Event
from workflow.selectors import task_cards

REASON = "因政策调整，服务事项增加，调整数量指标。"
NEW_VALUE = "≥9999件"


def _indicators(document):
    return [IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis)
            for i in document.indicators.order_by("order", "id")]


def _values(document) -> list[str]:
    return list(document.indicators.order_by("order", "id").values_list("target_value", flat=True))


def _open(people, sheet, **kwargs):
    return adjustments.adjustment_open(sheet=sheet, user=people.staff_ggzy, reason=kwargs.pop("reason", REASON), **kwargs)


def _edited(people, adjustment):
    """The adjustment with its first indicator's value changed through the editor's service."""
    rows = _indicators(adjustment)
    rows[0].target_value = NEW_VALUE
    return sheet_services.sheet_edit(sheet=adjustment, user=people.staff_ggzy, expected_version=adjustment.version, indicators=rows)


@pytest.fixture
def published(people, sheet, to_state):
    return to_state(sheet, "published")


def test_an_adjustment_returned_resubmitted_and_approved_becomes_the_version_in_force(people, published):
    sheet = published
    before = _values(sheet)
    checkpoint = sheet.fiscal_year.checkpoints.order_by("date").first()
    report = spending.spend_report_record(sheet=sheet, checkpoint=checkpoint, amount=sheet.budget_total / 4,
                                          explanation="按计划", user=people.staff_ggzy)

    adjustment = _open(people, sheet, adjusted_budget="30.50")
    assert adjustment.revises_id == sheet.pk and adjustment.state == SheetState.DRAFT
    assert adjustment.budget_total == Decimal("30.50") and adjustment.adjusted_budget == Decimal("30.50")
    assert adjustment.approval_label == "目标调整" and "目标调整" in adjustment.display_title
    adjustment = _edited(people, adjustment)
    assert _values(adjustment)[0] == NEW_VALUE

    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    services.document_return(document=adjustment, user=people.leader, comment="请说明调整依据")
    adjustment.refresh_from_db()
    assert adjustment.state == SheetState.RETURNED
    # the version in force is untouched all along
    in_force = TargetSheet.objects.get(pk=sheet.pk)
    assert _values(in_force) == before and in_force.budget_total == sheet.budget_total

    drive(adjustment, ("submit", people.staff_ggzy, "已补充依据"), ("approve", people.head_ggzy),
          ("approve", people.leader), ("approve", people.finance))
    assert adjustment.state == SheetState.PUBLISHED
    actions = list(Event.objects.filter(sheet=adjustment).values_list("action", flat=True))
    assert actions == [Action.SUBMIT, Action.APPROVE, Action.RETURN, Action.SUBMIT, Action.APPROVE, Action.APPROVE, Action.PUBLISH]

    sheet.refresh_from_db()
    assert _values(sheet)[0] == NEW_VALUE and sheet.budget_total == Decimal("30.50")
    assert sheet.reason == REASON and sheet.in_force_from == adjustment.state_since
    assert sheet.state == SheetState.PUBLISHED
    assert list(sheet.spend_reports.all()) == [report]  # spending reports stay with the sheet

    versions = selectors.versions_of(sheet)
    assert [v.current for v in versions] == [False, True]
    original, current = versions
    assert original.original and original.until == adjustment.state_since and current.reason == REASON
    archived = selectors.archived_version(sheet, original.id)
    assert _values(archived) == before and archived.is_published and archived.is_archived_version
    assert selectors.open_adjustment(sheet) is None
    # only the sheet in force is a sheet for every reader
    assert list(TargetSheet.objects.filter(project=sheet.project).values_list("pk", flat=True)) == [sheet.pk]


def test_a_second_adjustment_is_refused_naming_who_opened_the_first_and_when(people, published):
    first = _open(people, published)
    with pytest.raises(AppError) as refused:
        _open(people, published, reason="另一个原因")
    assert refused.value.status == 409
    assert "王芳" in refused.value.message or people.staff_ggzy.username in refused.value.message
    assert f"{first.created.astimezone().year}-" in refused.value.message and "进行中的目标调整" in refused.value.message
    # the database refuses it too, whoever writes the row
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSheet.all_objects.create(
            project=published.project, fiscal_year=published.fiscal_year, agency=published.agency, section=published.section,
            revises=published, revision=Revision.ADJUSTMENT, state=SheetState.SECTION_REVIEW,
        )
    # once the first is approved, a new one may be opened
    drive(first, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    assert _open(people, published, reason="第二次调整").state == SheetState.DRAFT


def test_undoing_an_approved_adjustment_is_itself_an_adjustment(people, published):
    before = _values(published)
    adjustment = _edited(people, _open(people, published))
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    original = selectors.versions_of(published)[0]

    undo = adjustments.adjustment_open(sheet=published, user=people.staff_ggzy, reason="撤销上次调整", restore=original.id)
    assert _values(undo) == before
    published.refresh_from_db()
    assert _values(published)[0] == NEW_VALUE  # still the adjusted version until the undo is approved
    drive(undo, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    published.refresh_from_db()
    assert _values(published) == before and published.reason == "撤销上次调整"
    versions = selectors.versions_of(published)
    assert [v.reason for v in versions] == ["", REASON, "撤销上次调整"]
    with pytest.raises(AppError, match="不属于这张表"):
        adjustments.adjustment_open(sheet=published, user=people.staff_ggzy, reason="x", restore=adjustment.pk)


def test_an_adjustment_is_withdrawn_and_reassigned_as_a_sheet(people, published):
    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy), ("withdraw", people.staff_ggzy))
    assert adjustment.state == SheetState.DRAFT
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    services.task_reassign(document=adjustment, user=people.leader, to_user=people.leader2, comment="出差")
    adjustment.refresh_from_db()
    assert adjustment.assignee == people.leader2
    with pytest.raises(AppError) as refused:
        services.document_approve(document=adjustment, user=people.leader)
    assert refused.value.status == 403
    services.document_approve(document=adjustment, user=people.leader2)
    adjustment.refresh_from_db()
    assert adjustment.state == SheetState.FINANCE_REVIEW


@pytest.mark.parametrize("who", ["staff_xy", "other_staff", "head_ggzy", "leader", "finance", "nobody", "anonymous"])
def test_only_the_sections_staff_open_an_adjustment(people, published, who):
    from django.contrib.auth.models import AnonymousUser

    user = AnonymousUser() if who == "anonymous" else getattr(people, who)
    with pytest.raises(AppError) as refused:
        adjustments.adjustment_open(sheet=published, user=user, reason=REASON)
    assert refused.value.status == 403 and "经办人" in refused.value.message
    assert not TargetSheet.all_objects.filter(revises=published).exists()


def test_the_reason_is_required_and_bounded_and_only_a_published_sheet_is_adjusted(people, sheet, published):
    for reason, said in [("", "请填写调整原因"), ("   ", "请填写调整原因"), ("长" * 501, "最多 500 个字")]:
        with pytest.raises(AppError, match=said):
            _open(people, published, reason=reason)
    assert _open(people, published, reason="长" * 500).reason == "长" * 500


def test_a_draft_is_not_adjusted(people, sheet):
    with pytest.raises(AppError) as refused:
        _open(people, sheet)
    assert refused.value.status == 409 and "草稿" in refused.value.message


def test_an_adjustments_texts_say_adjustment(people, published):
    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy))
    with pytest.raises(AppError) as refused:
        services.document_submit(document=adjustment, user=people.staff_ggzy)
    assert refused.value.message == "这份调整处于“科室审核”状态，不能提交。"
    facts = dict(adjustment.approval_facts())
    assert facts["调整原因"] == REASON


def test_nothing_of_an_adjustment_under_way_leaks(people, published):
    adjustment = _edited(people, _open(people, published))
    drive(adjustment, ("submit", people.staff_ggzy))
    anonymous = Client()
    assert NEW_VALUE not in anonymous.get("/public/").content.decode()
    assert "目标调整" not in anonymous.get("/public/").content.decode()
    assert NEW_VALUE not in anonymous.get(f"/public/sheets/{published.pk}/").content.decode()
    assert anonymous.get(f"/public/sheets/{adjustment.pk}/").status_code == 404
    assert anonymous.get(f"/public/sheets/{adjustment.pk}/export.docx").status_code == 404
    leader = Client()
    leader.force_login(people.leader)
    package = leader.get(f"/agencies/{published.agency.code}/2024/package.docx")
    assert package.status_code == 200
    from tests.projects.docx_helpers import all_cell_texts, open_docx

    cells = all_cell_texts(open_docx(b"".join(package.streaming_content)))
    assert NEW_VALUE not in cells and "目标调整" not in "".join(cells)
    book = load_workbook(io.BytesIO(b"".join(leader.get("/sheets/export.xlsx?year=2024").streaming_content)))
    excel = [str(value) for sheet_ in book.worksheets for row in sheet_.iter_rows(values_only=True) for value in row]
    assert NEW_VALUE not in excel and not any("目标调整" in value for value in excel)
    assert sum(value == published.project.code for value in excel) >= 1
    assert leader.get(f"/sheets/{adjustment.pk}/spending/").status_code == 404
    assert not Usage.objects.filter(sheet_id=adjustment.pk).exists()
    listed = leader.get("/sheets/?year=2024").content.decode()
    assert f"/sheets/{adjustment.pk}/" not in listed
    # but the adjustment is a task of the engine: 待办 of its section head
    assert adjustment.pk in [card.document.pk for card in task_cards(people.head_ggzy)]


def test_an_adjustment_waiting_too_long_is_nudged_as_an_adjustment(people, published, settings):
    import datetime

    from django.utils import timezone

    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy))
    TargetSheet.documents.filter(pk=adjustment.pk).update(state_since=timezone.now() - datetime.timedelta(days=40))
    due = [d for d in nudges_due() if d.document_id == adjustment.pk]
    assert due and "目标调整" in due[0].summary


def test_the_notifications_of_an_adjustment_say_adjustment_and_link_to_it(people, published):
    from notifications.models import Channel, Notification

    adjustment = _open(people, published)
    drive(adjustment, ("submit", people.staff_ggzy))
    told = Notification.objects.filter(sheet=adjustment, recipient=people.head_ggzy, channel=Channel.IN_APP).get()
    assert "目标调整" in told.title + told.body and REASON in told.body
    assert told.url.endswith(f"/sheets/{adjustment.pk}/")
    from notifications import cards

    card = cards.approval_card(told, "head.wx")  # the WeCom card with its one-tap 通过, said as an adjustment
    assert card is not None and card.payload["source"]["desc"] == "目标调整"
    assert card.payload["main_title"]["desc"] == adjustment.display_title and card.record.sheet_id == adjustment.pk
    drive(adjustment, ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    done = Notification.objects.filter(sheet=adjustment, recipient=people.staff_ggzy, channel=Channel.IN_APP, kind="publish").get()
    assert "调整已生效" in done.body


def _header(worksheet) -> dict[str, int]:
    return {cell.value: at for at, cell in enumerate(next(worksheet.iter_rows(max_row=1)))}


def test_the_excel_summary_shows_the_original_values_beside_the_adjusted_ones(people, published):
    sheet = published
    before_budget, before_value = sheet.budget_total, _values(sheet)[0]
    adjustment = _edited(people, _open(people, sheet, adjusted_budget="30.50"))
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    leader = Client()
    leader.force_login(people.leader)
    book = load_workbook(io.BytesIO(b"".join(leader.get("/sheets/export.xlsx?year=2024").streaming_content)))

    summary = book["项目汇总"]
    columns = _header(summary)
    assert columns["年初预算数（万元）"] == columns["预算数（万元）"] + 1
    rows = [row for row in summary.iter_rows(min_row=2, values_only=True) if row[columns["项目编码"]]]
    adjusted = next(row for row in rows if row[columns["项目编码"]] == sheet.project.code)
    assert Decimal(str(adjusted[columns["预算数（万元）"]])) == Decimal("30.50")
    assert Decimal(str(adjusted[columns["年初预算数（万元）"]])) == before_budget
    assert all(row[columns["年初预算数（万元）"]] is None for row in rows if row is not adjusted)  # never adjusted
    total = next(row for row in summary.iter_rows(min_row=2, values_only=True) if str(row[5]).startswith("合计"))
    assert total[columns["年初预算数（万元）"]] is None  # not summed: it is not a budget of the year

    details = book["指标明细"]
    columns = _header(details)
    assert columns["年初指标值"] == columns["指标值"] + 1
    mine = [row for row in details.iter_rows(min_row=2, values_only=True) if row[columns["项目编码"]] == sheet.project.code]
    assert mine[0][columns["指标值"]] == NEW_VALUE and mine[0][columns["年初指标值"]] == before_value
    assert all(row[columns["年初指标值"]] is None for row in mine[1:])  # equal: empty
    others = [row for row in details.iter_rows(min_row=2, values_only=True) if row[columns["项目编码"]] != sheet.project.code]
    assert others and all(row[columns["年初指标值"]] is None for row in others)


def test_the_original_values_are_read_per_chunk_not_per_row(people, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exports.selectors import summary_records, summary_sheets

    def queries(chunk):
        with CaptureQueriesContext(connection) as captured:
            records = list(summary_records(summary_sheets(people.leader, {"year": 2024}), chunk=chunk))
        return len(captured), records

    plain, _ = queries(1000)
    adjustment = _edited(people, _open(people, published))
    drive(adjustment, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    adjusted, records = queries(1000)
    assert len(records) > 3 and adjusted == plain + 2  # 年初: the versions and their indicators, once for the chunk
    assert sum(record.indicators[0][5] is not None for record in records if record.indicators) == 1
