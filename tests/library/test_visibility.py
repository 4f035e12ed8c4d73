"""Nothing unpublished leaks through the indicator library: an indicator only on another agency's draft does not
appear in the library's list, search, suggestions or entry page for anyone who cannot open that draft — not its
name, not its description, not its value. What everyone sees of an entry comes from published sheets; values of
other sheets show to those who may open them; the shipped common set is everyone's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from library import services
from library.models import Entry
from tests.support import drive

SECRET = {"name": "其他局保密指标", "description": "尚未公开的指标描述", "target_value": "≥42个"}


@pytest.fixture
def secret(library, people, foreign_sheet):
    """An indicator only the other agency's draft (483099) uses, with its description and value."""
    row = foreign_sheet.indicators.get(name="数量")
    for field, value in SECRET.items():
        setattr(row, field, value)
    row.save()
    services.library_sheets_refresh(sheet_ids=[foreign_sheet.pk])
    return Entry.objects.get(name=SECRET["name"])


def library_texts(client, entry) -> dict[str, str]:
    """Everything the library answers about the secret: list, searches, suggestions and the entry page."""
    pages = {
        "list": client.get(reverse("library_index")),
        "list of its category": client.get(reverse("library_index"), {"category": "产出指标", "subcategory": "数量指标"}),
        "search by name": client.get(reverse("library_index"), {"q": "保密指标"}),
        "search by initials": client.get(reverse("library_index"), {"q": "qtjbm"}),
        "search by description": client.get(reverse("library_index"), {"q": "尚未公开"}),
        "suggest": client.get(reverse("library_suggest"), {"category": "产出指标", "subcategory": "数量指标"}),
        "suggest by name": client.get(reverse("library_suggest"), {"category": "产出指标", "q": "保密"}),
        "entry page": client.get(reverse("library_entry", args=[entry.pk])),
    }
    return {name: (response.status_code, response.content.decode()) for name, response in pages.items()}


def shows_nothing_of_the_secret(texts: dict) -> None:
    for name, (status, text) in texts.items():
        assert not any(value in text for value in SECRET.values()), name
    assert texts["entry page"][0] == 404


@pytest.mark.parametrize("who", ["staff_ggzy", "nobody", "finance", "other_finance"])
def test_an_indicator_only_on_another_agencys_draft_shows_to_nobody_who_cannot_open_it(client, people, secret, foreign_sheet, who):
    """Another agency's staff, a person with no role, a finance reviewer of another agency, and even the draft's own
    agency's finance reviewer (a draft is not yet finance's to see)."""
    client.force_login(getattr(people, who))
    assert client.get(reverse("sheet_detail", args=[foreign_sheet.pk])).status_code == 404
    texts = library_texts(client, secret)
    shows_nothing_of_the_secret(texts)
    assert "资金执行率" in texts["list"][1]  # the shipped common set is everyone's


def test_the_anonymous_user_is_sent_to_sign_in(client, secret):
    for url in (reverse("library_index") + "?q=保密", reverse("library_entry", args=[secret.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = client.get(reverse("library_suggest"), {"category": "产出指标", "q": "保密"})
    assert response.status_code == 403 and SECRET["name"] not in response.content.decode()


def test_those_who_may_open_the_draft_see_the_indicator_with_its_description_and_value(client, people, secret):
    for who in ("other_staff", "other_leader"):
        client.force_login(getattr(people, who))
        texts = library_texts(client, secret)
        for name in ("list of its category", "search by name", "search by initials", "entry page"):
            status, text = texts[name]
            assert status == 200 and SECRET["name"] in text and SECRET["target_value"] in text, (who, name)
        assert SECRET["description"] in texts["entry page"][1]
        [offered] = [r for r in client.get(reverse("library_suggest"), {"category": "产出指标", "q": "保密"}).json()["results"]]
        assert (offered["name"], offered["description"], offered["example_value"]) == (SECRET["name"], SECRET["description"], "≥42个")


def test_the_finance_reviewer_sees_it_once_the_sheet_reaches_finance_review_and_everyone_once_it_is_published(
    client, people, secret, foreign_sheet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        drive(foreign_sheet, ("submit", people.other_staff), ("approve", people.other_head), ("approve", people.other_leader))
    client.force_login(people.other_finance)  # reviews 483099: the sheet waits at their step
    status, text = library_texts(client, secret)["entry page"]
    assert status == 200 and SECRET["target_value"] in text and SECRET["description"] in text
    client.force_login(people.finance)  # reviews 483001 only
    shows_nothing_of_the_secret(library_texts(client, secret))

    with django_capture_on_commit_callbacks(execute=True):  # the publication reaches the library when it commits
        drive(foreign_sheet, ("approve", people.other_finance))
    secret.refresh_from_db()
    assert (secret.use_count, secret.description, secret.example_value) == (1, SECRET["description"], "≥42个")
    for who in ("nobody", "staff_ggzy", "finance"):
        client.force_login(getattr(people, who))
        texts = library_texts(client, secret)
        assert SECRET["name"] in texts["search by description"][1] and SECRET["description"] in texts["entry page"][1]
        assert "已公开的表使用 1 次" in texts["search by name"][1]


def test_everyone_sees_the_published_text_never_a_later_drafts(client, people, foreign_sheet, django_capture_on_commit_callbacks):
    from decimal import Decimal

    from projects.models import FiscalYear, Indicator, TargetSheet

    row = foreign_sheet.indicators.get(name="数量")
    row.name, row.description, row.target_value = "窗口服务事项数", "已公开的描述", "≥42个"
    row.save()
    with django_capture_on_commit_callbacks(execute=True):
        drive(foreign_sheet, ("submit", people.other_staff), ("approve", people.other_head), ("approve", people.other_leader),
              ("approve", people.other_finance))
    # next year's draft rewrites the description and the value; the library is rebuilt from every sheet
    draft = TargetSheet.objects.create(
        project=foreign_sheet.project, fiscal_year=FiscalYear.get_or_create_with_defaults(2025), agency=people.other_agency,
        section=people.other_section, budget_total=Decimal(1),
    )
    Indicator.objects.create(sheet=draft, category="产出指标", subcategory="数量指标", name="窗口服务事项数",
                             description="明年草稿里的新描述", target_value="≥99个")
    services.library_rebuild()
    entry = Entry.objects.get(name="窗口服务事项数")
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("library_entry", args=[entry.pk])).content.decode()
    assert "已公开的描述" in page and "≥42个" in page
    assert "明年草稿里的新描述" not in page and "≥99个" not in page
    offered = client.get(reverse("library_suggest"), {"category": "产出指标", "q": "窗口服务"}).json()["results"]
    assert [(r["description"], r["example_value"]) for r in offered] == [("已公开的描述", "≥42个")]
    assert client.get(reverse("library_index"), {"q": "明年草稿"}).context["groups"] == []  # not found by the draft's text
    client.force_login(people.other_staff)  # the drafter sees their draft's value beside the published one
    page = client.get(reverse("library_entry", args=[entry.pk])).content.decode()
    assert "≥99个" in page and "≥42个" in page


def test_a_merged_duplicate_and_the_merge_form_name_only_what_the_curator_may_see(client, people, secret, to_state, sheet):
    """A curator of 483001 merging among their published entries is not offered the other agency's draft entry."""
    to_state(sheet, "published")
    services.library_sheets_refresh(sheet_ids=[sheet.pk])
    client.force_login(people.finance)
    keep = Entry.objects.filter(category="产出指标", subcategory="数量指标", kind="specific", use_count__gt=0).first()
    page = client.get(reverse("library_entry", args=[keep.pk])).content.decode()
    assert keep.name in page and SECRET["name"] not in page
    response = client.post(reverse("library_merge", args=[keep.pk]), {"keep": secret.pk}, follow=True)
    assert "请选择同一类别中在用的条目" in response.content.decode()
    assert client.post(reverse("library_retire", args=[secret.pk]), {"retired": "1"}).status_code == 404
    assert not Entry.objects.get(pk=secret.pk).retired


def test_the_library_pages_read_a_fixed_number_of_queries_however_many_drafts_there_are(client, people, secret, foreign_sheet):
    from tests.exports.conftest import bulk_sheets

    client.force_login(people.other_staff)  # sees the secret through a draft: the per-entry lookup is exercised
    urls = [
        reverse("library_index"), reverse("library_index") + "?q=保密", reverse("library_entry", args=[secret.pk]),
        reverse("library_suggest") + "?category=产出指标&q=保密",
    ]

    def queries():
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    before = queries()
    sheets = bulk_sheets(people.other_agency, people.other_section, 60, prefix="MORE")
    services.library_sheets_refresh(sheet_ids=[s.pk for s in sheets])
    assert queries() == before
    assert max(before) <= 10, before


def test_a_group_outside_the_framework_is_offered_only_to_those_who_may_see_an_entry_of_it(client, people, library, foreign_sheet):
    """The filters list a (一级, 二级) the framework does not name when the reader may see an entry of it: the other
    agency's draft's own group shows to its staff, not to another agency's staff nor to a person with no role; a group
    whose entries are all retired shows to nobody."""
    row = foreign_sheet.indicators.get(name="数量")
    row.category, row.subcategory = "自定义一级", "保密二级"
    row.save()
    services.library_sheets_refresh(sheet_ids=[foreign_sheet.pk])
    Entry.objects.create(category="停用一级", subcategory="停用二级", name="已停用的指标", retired=True, published_name_uses=1)
    for who, sees in (("other_staff", True), ("other_leader", True), ("staff_ggzy", False), ("nobody", False), ("finance", False)):
        client.force_login(getattr(people, who))
        page = client.get(reverse("library_index")).content.decode()
        assert ("保密二级" in page) is sees and ("自定义一级" in page) is sees, who
        assert "停用二级" not in page and "资金执行率" in page, who


def test_the_uses_name_each_sheets_project_on_the_list_and_the_entry_page(client, people, library, secret, foreign_sheet):
    client.force_login(people.other_staff)
    listed = client.get(reverse("library_index"), {"q": "保密指标"}).content.decode()
    assert "用过的值：2024 其他局项目 <b>≥42个</b>" in listed
    page = client.get(reverse("library_entry", args=[secret.pk])).content.decode()
    assert f'<a href="/sheets/{foreign_sheet.pk}/">其他局项目</a></td><td>≥42个</td>' in page
    assert f'<a href="/library/{secret.pk}/"><strong>其他局保密指标</strong></a>' in listed
