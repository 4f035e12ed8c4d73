"""Next year's sheets from this year's: drafts with the indicators kept and the money empty; duplicates refused."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from projects.models import TargetSheet
from sheets.rollover import sheets_rollover
from tests.refusals import refused
from workflow.models import Event


@pytest.fixture
def published(people, sheet, to_state):
    return to_state(sheet, "published")


def test_rollover_creates_a_draft_per_published_sheet(published, people):
    result = sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=published.section)
    assert [s.rolled_over_from_id for s in result.created] == [published.pk]
    new = TargetSheet.objects.get(project=published.project, fiscal_year__year=2025)
    assert (new.state, new.budget_total, new.fiscal_funds, new.other_funds) == ("draft", Decimal(0), Decimal(0), Decimal(0))
    assert new.rolled_over_from == published and new.section == published.section and new.purpose == published.purpose
    rows = lambda s: list(s.indicators.values_list("category", "subcategory", "name", "target_value", "basis"))  # noqa: E731
    assert rows(new) == rows(published)
    assert sorted(p.cumulative_percent for p in new.plan.all()) == [25, 50, 75, 100]
    event = Event.objects.get(sheet=new)
    assert (event.action, event.actor, event.get_action_display()) == ("rollover", people.staff_ggzy, "由上年结转")
    assert "2024年" in event.comment
    # the other sheets of the section are drafts in 2024: listed as not rolled over, with the reason
    assert all("尚未公开" in reason for _, reason in result.refused)


def test_a_second_rollover_refuses_every_existing_sheet_and_changes_nothing(published, people):
    sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=published.section)
    count = TargetSheet.objects.count()
    result = sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=published.section)
    assert result.created == []
    assert any("2025年的绩效目标表已存在（草稿），未结转" in reason for _, reason in result.refused)
    assert TargetSheet.objects.count() == count


def test_a_drafter_rolls_over_only_their_own_section(published, people):
    with refused(403, match="经办人"):
        sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_xy, section=published.section)
    with refused(403):
        sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=None)
    with refused(403):
        sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.other_staff, section=published.section)
    with refused(400, match="必须晚于"):
        sheets_rollover(agency=published.agency, from_year=2024, to_year=2024, user=people.staff_ggzy, section=published.section)
    assert not TargetSheet.objects.filter(fiscal_year__year=2025).exists()


def test_command_with_dry_run_writes_nothing_then_rolls_over(published, capsys):
    call_command("rollover", "--agency", "483001", "--from", "2024", "--to", "2025", "--dry-run")
    out = capsys.readouterr().out
    assert "将新建草稿：公共资源交易中心经费" in out and "将结转 1 张" in out
    assert not TargetSheet.objects.filter(fiscal_year__year=2025).exists()
    call_command("rollover", "--agency", "483001", "--from", "2024", "--to", "2025")
    assert "已结转 1 张" in capsys.readouterr().out
    assert TargetSheet.objects.filter(fiscal_year__year=2025).count() == 1
    with pytest.raises(CommandError, match="没有编码为 999999 的单位"):
        call_command("rollover", "--agency", "999999", "--from", "2024", "--to", "2025")


def test_the_sheet_list_button_rolls_over_the_section(published, client, people):
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("sheet_list")).content.decode()
    assert "由上年结转" in page
    response = client.post(reverse("sheets_rollover"), {"section": published.section_id, "from_year": 2024}, follow=True)
    assert "已结转 1 张" in response.content.decode()
    assert TargetSheet.objects.filter(fiscal_year__year=2025, section=published.section).count() == 1
    # another section's staff cannot pick this section; the head has no button
    client.force_login(people.staff_xy)
    response = client.post(reverse("sheets_rollover"), {"section": published.section_id, "from_year": 2024}, follow=True)
    assert "请选择本科室和来源年度" in response.content.decode()
    client.force_login(people.head_ggzy)
    assert "由上年结转" not in client.get(reverse("sheet_list")).content.decode()
    client.logout()
    anonymous = client.post(reverse("sheets_rollover"), {"section": published.section_id, "from_year": 2024})
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    client.force_login(people.staff_ggzy)
    assert client.get(reverse("sheets_rollover"), {"section": published.section_id, "from_year": 2024}).status_code == 405
    assert TargetSheet.objects.filter(fiscal_year__year=2025).count() == 1
