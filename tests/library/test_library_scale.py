"""Issue 24: the library at a province's size. A content write moves the counts by what it changed (no recount of a
popular entry, no entry row touched by a draft's edit); ``/library/`` reads a few uses per entry; the type-ahead gives
the same answers on its indexes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from library import selectors, services
from library.models import Entry, Kind, Usage
from projects.docx.data import IndicatorData
from projects.models import SheetState, TargetSheet
from sheets import services as sheet_services
from tests.support import drive
from workflow.permissions import visible_documents


def _counts() -> dict[int, tuple[int, int]]:
    return {pk: (uses, named) for pk, uses, named in Entry.objects.values_list("pk", "use_count", "published_name_uses")}


def _as_a_rebuild_counts() -> dict[int, tuple[int, int]]:
    """The counts a rebuild from every sheet gives (the counts as they were are put back: only compared)."""
    kept = _counts()
    services.library_rebuild()
    rebuilt = _counts()
    for pk, (uses, named) in kept.items():
        Entry.objects.filter(pk=pk).update(use_count=uses, published_name_uses=named)
    return rebuilt


def _rows(sheet) -> list[IndicatorData]:
    return [IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis) for i in sheet.indicators.all()]


def _edit(sheet, user, rows, capture):
    sheet.refresh_from_db()
    with capture(execute=True):
        sheet_services.sheet_edit(sheet=sheet, user=user, expected_version=sheet.version, indicators=rows)


def _publish(sheet, people, capture):
    with capture(execute=True):
        drive(sheet, ("submit", people.other_staff), ("approve", people.other_head), ("approve", people.other_leader),
              ("approve", people.other_finance))
    assert TargetSheet.objects.get(pk=sheet.pk).state == SheetState.PUBLISHED


def _renamed(row: IndicatorData, name: str) -> IndicatorData:
    return IndicatorData(row.category, row.subcategory, name, row.description, row.target_value, row.basis)


def test_counts_follow_renames_deletes_publication_and_unpublication_as_a_rebuild_counts_them(
    library, people, foreign_sheet, django_capture_on_commit_callbacks
):
    rows = _rows(foreign_sheet)
    _edit(foreign_sheet, people.other_staff, [_renamed(rows[0], "改名后的指标"), _renamed(rows[0], "将被删除的指标"), *rows[1:]],
          django_capture_on_commit_callbacks)
    assert _counts() == _as_a_rebuild_counts()
    assert not Usage.objects.filter(sheet=foreign_sheet, named_entry__name="数量").exists()
    _edit(foreign_sheet, people.other_staff, [_renamed(rows[0], "改名后的指标"), *rows[1:]], django_capture_on_commit_callbacks)
    assert _counts() == _as_a_rebuild_counts()
    assert not Usage.objects.filter(sheet=foreign_sheet, named_entry__name="将被删除的指标").exists()

    _publish(foreign_sheet, people, django_capture_on_commit_callbacks)
    assert _counts() == _as_a_rebuild_counts()
    renamed = Entry.objects.get(name="改名后的指标")
    assert (renamed.use_count, renamed.published_name_uses) == (1, 1)
    assert Entry.objects.get(name="将被删除的指标").use_count == 0

    TargetSheet.objects.filter(pk=foreign_sheet.pk).update(state=SheetState.DRAFT)  # leaves 已公开 (as a repair does)
    services.library_sheets_refresh(sheet_ids=[foreign_sheet.pk])
    assert _counts() == _as_a_rebuild_counts()
    assert Entry.objects.get(name="改名后的指标").use_count == 0


def test_a_sheet_counts_once_for_an_entry_two_of_its_rows_use_after_a_merge(
    library, people, foreign_sheet, django_capture_on_commit_callbacks
):
    rows = _rows(foreign_sheet)
    _edit(foreign_sheet, people.other_staff, [rows[0], _renamed(rows[0], "数量二"), *rows[1:]], django_capture_on_commit_callbacks)
    keep, duplicate = Entry.objects.get(name="数量", subcategory="数量指标"), Entry.objects.get(name="数量二")
    services.entries_merge(duplicate=duplicate, keep=keep, user=people.admin)
    _publish(foreign_sheet, people, django_capture_on_commit_callbacks)
    services.library_sheets_refresh(sheet_ids=[foreign_sheet.pk])  # a second refresh of the same sheet changes nothing
    assert _counts() == _as_a_rebuild_counts()
    keep.refresh_from_db(), duplicate.refresh_from_db()
    assert keep.use_count == Usage.objects.filter(entry=keep, published=True).values("sheet").distinct().count()
    assert duplicate.published_name_uses == 1 and duplicate.use_count == 0


def test_an_edit_of_a_draft_touches_no_entry_and_costs_the_same_however_big_the_library(
    library, people, sheet, django_capture_on_commit_callbacks
):
    def refresh_statements() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            services.library_sheets_refresh(sheet_ids=[sheet.pk])
        return [q["sql"] for q in queries.captured_queries]

    small = refresh_statements()
    assert not [sql for sql in small if sql.startswith('UPDATE "library_entry"') or ('FROM "library_entry"' in sql and "FOR UPDATE" in sql)]
    Entry.objects.bulk_create(
        [Entry(category="产出指标", subcategory="数量指标", name=f"库里的其他指标{n}", published_name_uses=1, use_count=n) for n in range(500)]
    )
    assert len(refresh_statements()) == len(small)


def _usages_expected(user, entries, per_entry):
    sheets = set(visible_documents(user, TargetSheet.objects.all()).values_list("pk", flat=True))
    expected = {}
    for usage in Usage.objects.filter(entry__in=entries).order_by("entry_id", "-year", "sheet_id"):
        if usage.sheet_id in sheets and len(expected.setdefault(usage.entry_id, [])) < per_entry:
            expected[usage.entry_id].append(usage.pk)
    return {pk: ids for pk, ids in expected.items() if ids}


@pytest.mark.parametrize("who", ["admin", "leader", "finance", "staff_ggzy", "other_staff"])
def test_the_library_page_reads_the_latest_uses_of_each_entry_the_reader_may_see(library, people, sheet, to_state, who):
    to_state(sheet, "published")
    services.library_sheets_refresh(sheet_ids=[sheet.pk])
    user = getattr(people, who)
    entries = list(Entry.objects.filter(usages__isnull=False).distinct())
    assert len(entries) > 1
    for per_entry in (1, 3):
        found = selectors.usages_visible(user, entries, per_entry=per_entry)
        assert {pk: [u.pk for u in rows] for pk, rows in found.items()} == _usages_expected(user, entries, per_entry)
    one = selectors.usages_visible(user, entries[:1], per_entry=100)
    assert {pk: [u.pk for u in rows] for pk, rows in one.items()} == _usages_expected(user, entries[:1], 100)


def _suggest_expected(user, category, subcategory, query):
    """The type-ahead's answer by its definition, in Python: a visible entry in use of the category whose name or
    description holds the text (any case), or whose initials hold the letters; recommended, common, most used, name."""
    q = query.strip()
    entries = selectors.entries_visible(user, Entry.objects.filter(retired=False, category=category))
    if subcategory:
        entries = entries.filter(subcategory=subcategory)

    def matches(e):
        if not q:
            return True
        letters = q.isascii() and q.isalpha() and q.lower() in e.initials
        return q.upper() in e.name.upper() or q.upper() in e.description.upper() or letters

    ranked = sorted((e for e in entries if matches(e)), key=lambda e: (not e.recommended, e.kind != Kind.COMMON, -e.use_count, e.name, e.pk))
    return [e.pk for e in ranked[: selectors.SUGGEST_LIMIT]]


@pytest.mark.parametrize("query", ["", "zjz", "ZJ", "执行", "率", "满意", "服务对象", "数量", "zz", "没有这样的指标"])
def test_suggestions_are_the_visible_matches_in_rank_order(library, people, query):
    Entry.objects.bulk_create(
        [Entry(category="产出指标", subcategory="数量指标", name=f"执行数量{n}", initials=f"zxsl{n}", published_name_uses=1, use_count=n % 7)
         for n in range(40)]
    )
    for user in (people.admin, people.leader, people.other_staff):
        for category, subcategory in (("产出指标", "数量指标"), ("产出指标", ""), ("满意度指标", "服务对象满意度指标")):
            found = selectors.suggestions(user, category=category, subcategory=subcategory, query=query)
            assert [e.pk for e in found] == _suggest_expected(user, category, subcategory, query), (user, category, query)


@pytest.mark.parametrize("who", ["finance", "head_ggzy"])
def test_the_library_page_runs_the_same_queries_however_many_entries_and_uses_it_shows(library, people, sheet, to_state, client, who):
    """40 more entries of the sheets, each used on the published sheet 5 times: the page shows them with their 3
    latest uses and runs the same queries as before (no query per entry, per use or per deferred field)."""
    to_state(sheet, "published")
    services.library_sheets_refresh(sheet_ids=[sheet.pk])
    client.force_login(getattr(people, who))
    client.get("/library/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/library/").status_code == 200
    added = Entry.objects.bulk_create([
        Entry(category="产出指标", subcategory="数量指标", name=f"新增的个性指标{n}", kind=Kind.SPECIFIC, description=f"第{n}个说明" * 30,
              published_name_uses=1, use_count=1000 + n)
        for n in range(40)
    ])
    added[0].name, added[0].value_unit = """<i>满意度"'&""", "<b>%</b>"
    added[0].save()
    Usage.objects.bulk_create([
        Usage(entry=entry, named_entry=entry, sheet=sheet, year=2020 + k, target_value=f"{k}件", published=True)
        for entry in added for k in range(5)
    ])
    with CaptureQueriesContext(connection) as many:
        page = client.get("/library/").content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    entry = page.split("新增的个性指标39</strong>")[1].split("</li>")[0]
    assert "用过的值：2024 " in entry and "<b>4件</b>；2023" in entry and "2021" not in entry
    assert "第39个说明第39个说明" in entry and "…</div>" in entry  # the description cut at 120 characters
    assert "<strong>&lt;i&gt;满意度&quot;&#x27;&amp;</strong>" in page and "单位 &lt;b&gt;%&lt;/b&gt;" in page  # text, never markup
