"""The library is built from the sheets in the system and offers the right entries for a category."""

from django.core.management import call_command
from django.urls import reverse

from library import selectors, services
from library.models import Entry, Usage
from projects.models import Indicator, TargetSheet


def test_every_indicator_of_the_imported_seed_is_an_entry_with_its_uses(library):
    seed = set(Indicator.objects.filter(sheet__fiscal_year__year=2024).values_list("category", "subcategory", "name"))
    entries = set(Entry.objects.values_list("category", "subcategory", "name"))
    assert seed <= entries
    entry = Entry.objects.get(name="系统正常运行率")
    uses = Usage.objects.filter(entry=entry)
    assert uses.exists() and entry.use_count == uses.filter(published=True).values("sheet").distinct().count()
    assert {u.year for u in uses} == {2024}
    assert entry.kind == "common"  # the curated common set keeps its kind and source when sheets use it
    assert "财预〔2021〕101号" in entry.source


def test_the_common_set_ships_with_the_101_framework_and_its_sources(library):
    common = Entry.objects.filter(kind="common")
    assert {"资金执行率", "服务对象满意度", "项目完成及时率"} <= set(common.values_list("name", flat=True))
    assert set(common.values_list("subcategory", flat=True)) >= {
        "数量指标", "质量指标", "时效指标", "成本指标", "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标", "服务对象满意度指标",
    }
    assert all(e.source for e in common) and all(e.recommended for e in common)
    rate = Entry.objects.get(name="资金执行率")
    assert (rate.value_operator, rate.value_unit) == (">=", "%")


def test_suggestions_for_a_category_are_its_entries_recommended_first(library, people):
    found = selectors.suggestions(people.leader, category="满意度指标", subcategory="服务对象满意度指标")
    assert found and all((e.category, e.subcategory) == ("满意度指标", "服务对象满意度指标") for e in found)
    assert found[0].recommended
    flags = [e.recommended for e in found]
    assert flags == sorted(flags, reverse=True)
    outputs = selectors.suggestions(people.leader, category="产出指标", subcategory="数量指标")
    assert "保证正常运转大楼数量" in [e.name for e in outputs]
    assert all(e.category == "产出指标" for e in outputs)


def test_pinyin_initials_and_chinese_text_both_match(library, people):
    user = people.leader
    assert [e.name for e in selectors.suggestions(user, category="产出指标", query="zjzxl")] == ["资金执行率"]
    assert "资金执行率" in [e.name for e in selectors.suggestions(user, category="产出指标", query="ZJZ")]
    assert "资金执行率" in [e.name for e in selectors.suggestions(user, category="产出指标", query="执行")]
    assert selectors.suggestions(user, category="效益指标", query="zjzxl") == []  # another category's entry is not offered


def test_an_edit_of_a_draft_reaches_the_library_when_it_commits(library, people, sheet, django_capture_on_commit_callbacks):
    from projects.docx.data import IndicatorData
    from sheets import services as sheet_services

    rows = [IndicatorData(i.category, i.subcategory, i.name, i.description, i.target_value, i.basis) for i in sheet.indicators.all()]
    rows.append(IndicatorData("产出指标", "数量指标", "新增窗口数量", "", "≥2个", ""))
    with django_capture_on_commit_callbacks(execute=True):
        sheet_services.sheet_edit(sheet=sheet, user=people.staff_ggzy, expected_version=sheet.version, indicators=rows)
    entry = Entry.objects.get(name="新增窗口数量")
    assert (entry.kind, entry.use_count) == ("specific", 0)  # used by a draft: no published use yet
    assert list(Usage.objects.filter(entry=entry).values_list("sheet_id", "target_value")) == [(sheet.pk, "≥2个")]
    # the drafter is offered it with what their draft says
    [offered] = selectors.suggestions(people.staff_ggzy, category="产出指标", subcategory="数量指标", query="新增窗口")
    assert (offered.value_unit, offered.example_value) == ("个", "≥2个")


def test_rebuild_command_is_idempotent(library):
    before = (Entry.objects.count(), Usage.objects.count())
    call_command("library_rebuild", stdout=open("/dev/null", "w"))
    assert (Entry.objects.count(), Usage.objects.count()) == before


def test_rebuild_is_set_based(library, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):  # a handful of statements for any number of sheets
        services.library_rebuild()


def test_suggest_endpoint_answers_json_with_last_years_value(library, client, people, sheet):
    from decimal import Decimal

    from projects.models import FiscalYear

    # the same project's sheet of 2023 used 系统正常运行率 with ≥97%
    last = TargetSheet.objects.create(
        project=sheet.project, fiscal_year=FiscalYear.get_or_create_with_defaults(2023), agency=sheet.agency,
        section=sheet.section, budget_total=Decimal(0),
    )
    Indicator.objects.create(sheet=last, category="产出指标", subcategory="质量指标", name="系统正常运行率", target_value="≥97%")
    client.force_login(people.staff_ggzy)
    url = reverse("library_suggest")
    data = client.get(url, {"category": "产出指标", "subcategory": "质量指标", "q": "xtzc", "sheet": sheet.pk}).json()
    first = data["results"][0]
    assert first["name"] == "系统正常运行率"
    assert (first["operator"], first["unit"], first["last_year_value"]) == ("≥", "%", "≥97%")
    assert first["description"]


def test_suggest_refuses_a_sheet_the_user_may_not_see_and_anonymous(library, client, people, foreign_sheet):
    url = reverse("library_suggest")
    assert client.get(url, {"category": "产出指标"}).status_code == 403
    client.force_login(people.staff_ggzy)
    response = client.get(url, {"category": "产出指标", "sheet": foreign_sheet.pk})
    assert response.status_code == 404 and "last_year_value" not in response.content.decode()
    assert client.get(url, {}).status_code == 400


def test_library_page_browses_by_category_and_searches(library, client, people):
    client.force_login(people.staff_ggzy)

    def shown(**params):
        response = client.get(reverse("library_index"), params)
        assert response.status_code == 200
        return [e.name for g in response.context["groups"] for e in g["entries"]]

    satisfaction = shown(category="满意度指标")
    assert "服务对象满意度" in satisfaction and "资金执行率" not in satisfaction
    assert shown(q="zjzxl") == ["资金执行率"]
    assert "资金执行率" in shown(q="执行率")
    page = client.get(reverse("library_index"), {"q": "zjzxl"}).content.decode()
    assert page.count('data-testid="library-entry"') == 1 and "财预〔2021〕101号" in page


def test_usage_shown_only_for_sheets_the_user_may_see(library, client, people, foreign_sheet):
    services.library_sheets_refresh(sheet_ids=[foreign_sheet.pk])
    entry = Entry.objects.get(category="产出指标", subcategory="数量指标", name="数量")
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("library_entry", args=[entry.pk])).content.decode()
    assert "其他局项目" not in page
    client.force_login(people.other_staff)
    assert "其他局项目" in client.get(reverse("library_entry", args=[entry.pk])).content.decode()
    client.logout()
    assert client.get(reverse("library_entry", args=[entry.pk])).status_code == 302
