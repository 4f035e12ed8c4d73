"""Finance reviewers and agency administrators curate the library; nobody else can."""

import pytest
from django.urls import reverse

from library import selectors, services
from library.models import CurationEvent, Entry, Usage
from tests.refusals import refused


@pytest.fixture
def duplicate(library, people, sheet, to_state):
    """A second spelling of 系统正常运行率 used by one published sheet (curators see it)."""
    to_state(sheet, "published")
    keep = Entry.objects.get(name="系统正常运行率")
    row = sheet.indicators.first()
    row.category, row.subcategory, row.name = keep.category, keep.subcategory, "系统正常运行比率"
    row.save()
    services.library_sheets_refresh(sheet_ids=[sheet.pk])
    return Entry.objects.get(name="系统正常运行比率"), keep


def published_uses(entry) -> int:
    return Usage.objects.filter(entry=entry, published=True).values("sheet").distinct().count()


@pytest.mark.parametrize("who", ["finance", "unit_admin"])
def test_curators_recommend_retire_and_merge(duplicate, people, who):
    user = getattr(people, who)
    dup, keep = duplicate
    kept_uses, kept_published = Usage.objects.filter(entry=keep).count(), published_uses(keep)
    services.entries_merge(duplicate=dup, keep=keep, user=user, note="同一指标")
    dup.refresh_from_db()
    keep.refresh_from_db()
    assert dup.retired and dup.merged_into == keep
    assert Usage.objects.filter(entry=dup).count() == 0
    assert Usage.objects.filter(entry=keep).count() == kept_uses + 1 and keep.use_count == kept_published + 1
    services.library_rebuild()  # a rebuild keeps the merge: the duplicate's rows still count for the kept entry
    keep.refresh_from_db()
    assert keep.use_count == kept_published + 1 and not Usage.objects.filter(entry=dup).exists()
    other = Entry.objects.get(name="验收合格率")
    services.entry_recommend(entry=other, user=user, recommended=False)
    services.entry_retire(entry=other, user=user, note="不再使用")
    assert other.name not in [e.name for e in selectors.suggestions(user, category="产出指标", subcategory="质量指标")]
    assert list(CurationEvent.objects.filter(actor=user).values_list("action", flat=True).order_by("id")) == ["merge", "unrecommend", "retire"]


@pytest.mark.parametrize("who", ["staff_ggzy", "head_ggzy", "leader", "other_staff", "nobody"])
def test_others_may_not_curate(duplicate, people, who):
    dup, keep = duplicate
    user = getattr(people, who)
    with refused(403, match="财政审核人或单位管理员"):
        services.entries_merge(duplicate=dup, keep=keep, user=user)
    with refused(403):
        services.entry_retire(entry=keep, user=user)
    with refused(403):
        services.entry_recommend(entry=dup, user=user)
    assert not CurationEvent.objects.exists() and not Entry.objects.filter(retired=True).exists()


def test_merge_across_categories_is_refused_and_changes_nothing(duplicate, people):
    dup, _ = duplicate
    other = Entry.objects.get(name="服务对象满意度")
    with refused(400, match="只能合并同一类别"):
        services.entries_merge(duplicate=dup, keep=other, user=people.finance)
    dup.refresh_from_db()
    assert not dup.retired and dup.use_count == 1


def test_curation_pages_check_the_person(duplicate, client, people):
    dup, keep = duplicate
    merge = reverse("library_merge", args=[dup.pk])
    client.logout()
    assert client.post(merge, {"keep": keep.pk}).status_code == 302 and not Entry.objects.get(pk=dup.pk).retired
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("library_entry", args=[dup.pk])).content.decode()
    assert "合并" not in page and "停用" not in page
    response = client.post(merge, {"keep": keep.pk}, follow=True)
    assert "只有财政审核人或单位管理员可以维护指标库" in response.content.decode()
    assert not Entry.objects.get(pk=dup.pk).retired
    client.force_login(people.finance)
    response = client.post(merge, {"keep": keep.pk}, follow=True)
    assert "已合并到“系统正常运行率”" in response.content.decode()
    assert Entry.objects.get(pk=dup.pk).merged_into == keep
    response = client.post(reverse("library_retire", args=[keep.pk]), {"retired": "1"}, follow=True)
    assert Entry.objects.get(pk=keep.pk).retired
