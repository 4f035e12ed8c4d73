"""Generated sheet content (any unicode including control characters, huge, negative and odd numbers, many
rows) saved through every door — the service, the editor's forms, the API serializer, the importer — and then
exported to Word: either the door refuses (``AppError``, a form or serializer error) or the export succeeds.
No other exception escapes (python-docx's refusal, a database error, a RecursionError …)."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core.errors import AppError
from projects import exporting
from projects.docx.data import DepartmentGoalsData, DocumentData, IndicatorData, PlanPointData, SheetData
from projects.models import TargetSheet
from projects.services import document_import
from sheets import api
from sheets import editor as sheet_editor
from sheets import services as sheet_services
from sheets.serializers import SheetPatchSerializer

DOOR_SETTINGS = settings(
    max_examples=2 * settings.default.max_examples, deadline=None, database=None,  # 200 (20 under make test-fast)
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SPECIAL = ["", " ", "a\u0001b", "\x07", "\x00", "\t", "a\nb", "\r\n", "\ufffe", "\x85", "\u2028", "𠮷", "≥", "=1+1", "<w:t>", "&amp;"]
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SPECIAL),
    st.sampled_from([49, 50, 51, 100, 101, 200, 201, 5000, 5001]).map(lambda n: "长" * n),
)
numbers = st.one_of(
    st.decimals(places=2, min_value=0, max_value=Decimal("999999999999.99")),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(-10**16, 10**16).map(Decimal),
    st.sampled_from([Decimal("1000000000000"), Decimal("-0.01"), Decimal("0.001"), Decimal("123456"), Decimal("100.00"), Decimal("1E+30")]),
)
money = st.one_of(st.decimals(places=2, min_value=0, max_value=Decimal("999999999999.99")), st.integers(0, 10**6).map(Decimal), numbers)
# mostly valid percents, so that examples get past the numbers to the texts and rows
percents = st.one_of(st.decimals(places=2, min_value=0, max_value=100), st.decimals(places=0, min_value=0, max_value=100), numbers)
target_values = st.one_of(
    texts,
    st.builds(
        lambda op, n, unit: f"{op}{n}{unit}", st.sampled_from(["≥", "≤", "", ">", "<", "="]),
        st.one_of(st.integers(-10**30, 10**30), st.decimals(allow_nan=False, allow_infinity=False)),
        st.sampled_from(["个", "%", "万元", "", "天"]),
    ),
)
rows = st.builds(IndicatorData, texts, texts, texts, texts, target_values, texts)
row_lists = st.one_of(
    st.lists(rows, max_size=6),
    st.builds(lambda row, n: [row] * n, rows, st.sampled_from([199, 200, 201])),
)
contents = st.fixed_dictionaries({
    "budget_total": money, "fiscal_funds": money, "other_funds": money, "purpose": texts, "goal": texts,
    "percents": st.lists(percents, min_size=4, max_size=4), "indicators": row_lists,
})


# The reproduced defects, always tried: each passed the doors and broke the export, or answered 500.
VALID_ROW = IndicatorData("产出指标", "数量指标", "数量", "描述", "≥1个", "依据")
BASE = {
    "budget_total": Decimal("8.00"), "fiscal_funds": Decimal("8.00"), "other_funds": Decimal("0.00"), "purpose": "用途",
    "goal": "目标", "percents": [Decimal(25), Decimal(50), Decimal(75), Decimal(100)], "indicators": [VALID_ROW],
}
KNOWN = [
    BASE | {"purpose": "a\u0001b"},
    BASE | {"goal": "x\x07y"},
    BASE | {"indicators": [IndicatorData("产出指标", "数量指标", "数\x0b量", "描\x1f述", "≥1个", "")]},
    BASE | {"budget_total": Decimal("1000000000000")},
    BASE | {"percents": [Decimal(123456), Decimal(50), Decimal(75), Decimal(100)]},
    BASE | {"indicators": [VALID_ROW] * 201},
    BASE | {"indicators": [IndicatorData("产出指标", "数量指标", "长" * 201, "", "值" * 101, "")]},
]


def known_examples(test):
    for content in KNOWN:
        test = example(content=content)(test)
    return test


@pytest.fixture
def draft(demo):
    return TargetSheet.objects.get(position=3, fiscal_year__year=2024)


@pytest.fixture
def staff(demo):
    return get_user_model().objects.get(username="staff_ggzy")


def export(sheet) -> None:
    fresh = TargetSheet.objects.get(pk=sheet.pk)
    exporting.export_sheet(sheet=fresh, target=io.BytesIO())
    exporting.export_package(agency=fresh.agency, year=fresh.fiscal_year.year, target=io.BytesIO())


def fresh_copy(sheet) -> TargetSheet:
    """The sheet as saved: an example's writes are rolled back, but the service updates the caller's object."""
    return TargetSheet.objects.get(pk=sheet.pk)


def rolled_back(attempt) -> None:
    """Run one example in a savepoint that is undone, so examples do not see each other."""
    with transaction.atomic():
        attempt()
        transaction.set_rollback(True)


def checkpoints(sheet):
    return list(sheet.fiscal_year.checkpoints.order_by("date"))


@pytest.mark.django_db
@DOOR_SETTINGS
@given(content=contents)
@known_examples
def test_the_service_refuses_or_the_sheet_exports(staff, draft, content):
    original = draft

    def attempt():
        draft = fresh_copy(original)
        plan = dict(zip(checkpoints(draft), content["percents"]))
        values = {k: v for k, v in content.items() if k != "percents"}
        try:
            sheet_services.sheet_edit(sheet=draft, user=staff, expected_version=draft.version, plan=plan, **values)
        except AppError as refusal:
            assert refusal.status == 400, refusal.message
            return
        export(draft)

    rolled_back(attempt)


def editor_data(sheet, content) -> dict:
    data = {
        "version": str(sheet.version), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "200",
        "rows-TOTAL_FORMS": str(len(content["indicators"])),
    }
    for name in ("budget_total", "fiscal_funds", "other_funds", "purpose", "goal"):
        data[f"sheet-{name}"] = str(content[name])
    for cp, percent in zip(checkpoints(sheet), content["percents"]):
        data[f"plan-cp_{cp.pk}"] = str(percent)
    for i, row in enumerate(content["indicators"]):
        for name in ("category", "subcategory", "name", "description", "target_value", "basis"):
            data[f"rows-{i}-{name}"] = getattr(row, name)
        data[f"rows-{i}-ORDER"] = str(i + 1)
    return data


@pytest.mark.django_db
@DOOR_SETTINGS
@given(content=contents)
@known_examples
def test_the_editor_forms_refuse_or_the_sheet_exports(staff, draft, content):
    original = draft

    def attempt():
        draft = fresh_copy(original)
        editor = sheet_editor._editor_forms(draft, editor_data(draft, content))
        if not all([form.is_valid() for form in editor.values()]):
            return  # the editor shows the form errors
        try:
            sheet_services.sheet_edit(sheet=draft, user=staff, expected_version=draft.version, **sheet_editor._edited_content(editor))
        except AppError as refusal:
            assert refusal.status == 400, refusal.message
            return
        export(draft)

    rolled_back(attempt)


@pytest.mark.django_db
@DOOR_SETTINGS
@given(content=contents)
@known_examples
def test_the_api_serializer_refuses_or_the_sheet_exports(staff, draft, content):
    original = draft

    def attempt():
        draft = fresh_copy(original)
        body = {name: str(content[name]) for name in ("budget_total", "fiscal_funds", "other_funds")}
        body |= {"purpose": content["purpose"], "goal": content["goal"]}
        body["plan"] = [{"date": str(cp.date), "percent": str(p)} for cp, p in zip(checkpoints(draft), content["percents"])]
        body["indicators"] = [vars(row) for row in content["indicators"]]
        serializer = SheetPatchSerializer(data=body)
        if not serializer.is_valid():
            return  # 400 with the serializer's errors
        try:
            changes = api._changes(draft, serializer.validated_data)
            sheet_services.sheet_edit(sheet=draft, user=staff, expected_version=draft.version, **changes)
        except AppError as refusal:
            assert refusal.status == 400, refusal.message
            return
        export(draft)

    rolled_back(attempt)


documents = st.fixed_dictionaries({
    "content": contents, "number": st.one_of(st.integers(1, 20), st.integers(-5, 10**6)),
    "title": texts, "project_code": texts, "project_name": texts, "agency_name": texts,
    "goals": st.lists(texts, max_size=3),
})


@pytest.mark.django_db
@DOOR_SETTINGS
@given(document=documents)
def test_the_importer_refuses_or_the_package_exports(demo, document):
    content = document["content"]
    plan = [PlanPointData(label, month, percent) for (label, month), percent in zip(
        [("3月底", 3), ("6月底", 6), ("10月底", 10), ("12月底", 12)], content["percents"])]
    sheet = SheetData(
        number=document["number"], title=document["title"], agency_code="483001", agency_name=document["agency_name"],
        project_code=document["project_code"], project_name=document["project_name"],
        budget_total=content["budget_total"], fiscal_funds=content["fiscal_funds"], other_funds=content["other_funds"],
        purpose=content["purpose"], plan=plan, goal=content["goal"], indicators=content["indicators"],
    )
    data = DocumentData("483001", document["agency_name"], DepartmentGoalsData(document["goals"], [], []), [sheet])

    def attempt():
        try:
            result = document_import(data=data, year=2024)
        except AppError as refusal:
            assert refusal.status == 400, refusal.message
            return
        for saved in result.created + result.updated:
            export(saved)
        exporting.export_package(agency=result.agency, year=2024, target=io.BytesIO())

    rolled_back(attempt)
