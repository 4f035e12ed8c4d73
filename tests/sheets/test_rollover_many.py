"""由上年结转 for many agencies at once (the command's --all-agencies, or --agency more than once): the same drafts the
one-agency rollover makes, a chunk of agencies per transaction in a fixed number of statements, and a second run that
goes on where the first stopped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import FiscalYear, TargetSheet
from projects.rules import verdict
from sheets.rollover import sheets_rollover, sheets_rollover_many
from workflow.models import Event


def rows(sheet):
    return list(sheet.indicators.order_by("order").values_list("category", "subcategory", "name", "description", "target_value", "basis", "value_kind", "value_number", "value_unit"))


def published(sheet):
    """The other agency's sheet published (the fixture world has no reviewers there): only its state matters here."""
    TargetSheet.objects.filter(pk=sheet.pk).update(state="published")
    sheet.refresh_from_db()
    return sheet


def drafts_2025():
    return TargetSheet.objects.filter(fiscal_year__year=2025).order_by("agency__code", "position")


def test_every_agencys_published_sheets_become_the_same_drafts_one_agency_would_get(people, sheet, foreign_sheet, to_state):
    mine, theirs = to_state(sheet, "published"), published(foreign_sheet)

    result = sheets_rollover_many(agency_codes=None, from_year=2024, to_year=2025)

    assert (result.created, result.existing) == (2, 0) and result.not_published == TargetSheet.objects.filter(fiscal_year__year=2024).count() - 2
    new_mine, new_theirs = TargetSheet.objects.get(rolled_over_from=mine), TargetSheet.objects.get(rolled_over_from=theirs)
    for new, old in ((new_mine, mine), (new_theirs, theirs)):
        assert (new.state, new.budget_total, new.fiscal_funds, new.other_funds) == ("draft", Decimal(0), Decimal(0), Decimal(0))
        assert (new.agency, new.section, new.position, new.purpose, new.goal) == (old.agency, old.project.section, old.position, old.purpose, old.goal)
        assert rows(new) == rows(old)  # parsed values too
        assert sorted(p.cumulative_percent for p in new.plan.all()) == [25, 50, 75, 100]
        assert (new.check_errors, new.check_warnings) == verdict(new.content())  # the stored verdict is the checker's
        event = Event.objects.get(sheet=new)
        assert (event.action, event.actor) == ("rollover", None) and "2024年" in event.comment

    # the one-agency path makes the same draft (another year, the same source)
    single = sheets_rollover(agency=mine.agency, from_year=2024, to_year=2026).created
    [same] = [s for s in single if s.rolled_over_from_id == mine.pk]
    assert rows(same) == rows(new_mine) and (same.check_errors, same.check_warnings) == (new_mine.check_errors, new_mine.check_warnings)


def test_a_second_run_skips_what_the_first_rolled_over_and_a_dry_run_writes_nothing(people, sheet, foreign_sheet, to_state):
    to_state(sheet, "published")
    dry = sheets_rollover_many(agency_codes=None, from_year=2024, to_year=2025, dry_run=True)
    assert dry.created == 1 and not drafts_2025().exists()
    sheets_rollover_many(agency_codes=[people.other_agency.code], from_year=2024, to_year=2025)  # nothing published there
    assert not drafts_2025().exists()
    sheets_rollover_many(agency_codes=None, from_year=2024, to_year=2025, chunk=1)
    published(foreign_sheet)  # published since: the rerun picks it up and skips the rest
    again = sheets_rollover_many(agency_codes=None, from_year=2024, to_year=2025, chunk=1)
    assert (again.created, again.existing) == (1, 1)
    assert [s.rolled_over_from_id for s in drafts_2025()] == [sheet.pk, foreign_sheet.pk]


def test_a_chunk_costs_the_same_statements_however_many_sheets_it_rolls_over(people, sheet, foreign_sheet, to_state):
    published(foreign_sheet)
    FiscalYear.get_or_create_with_defaults(2025)  # made by the first run otherwise: not part of what is compared
    with CaptureQueriesContext(connection) as one:
        sheets_rollover_many(agency_codes=[people.other_agency.code], from_year=2024, to_year=2025)
    for other in TargetSheet.objects.filter(agency=sheet.agency, fiscal_year__year=2024):
        published(other)
    with CaptureQueriesContext(connection) as nine:
        result = sheets_rollover_many(agency_codes=[sheet.agency.code], from_year=2024, to_year=2025)
    assert result.created == 9 and len(nine) == len(one)


def test_the_command_rolls_over_all_agencies_or_the_listed_ones(people, sheet, foreign_sheet, to_state, capsys):
    to_state(sheet, "published")
    published(foreign_sheet)
    call_command("rollover", "--agency", sheet.agency.code, "--agency", people.other_agency.code, "--from", "2024", "--to", "2025", "--dry-run")
    assert "2 个单位：将结转 2 张" in capsys.readouterr().out and not drafts_2025().exists()
    call_command("rollover", "--all-agencies", "--from", "2024", "--to", "2025")
    assert "已结转 2 张" in capsys.readouterr().out and drafts_2025().count() == 2
    with pytest.raises(CommandError, match="没有编码为 999999 的单位"):
        call_command("rollover", "--agency", "999999", "--agency", sheet.agency.code, "--from", "2024", "--to", "2026")
    with pytest.raises(CommandError, match="--section 只能与一个 --agency"):
        call_command("rollover", "--all-agencies", "--section", "公共资源交易中心", "--from", "2024", "--to", "2026")
    with pytest.raises(CommandError, match="必须晚于"):
        call_command("rollover", "--all-agencies", "--from", "2024", "--to", "2024")
    assert not TargetSheet.objects.filter(fiscal_year__year=2026).exists()
