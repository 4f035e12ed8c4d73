"""The monitoring world: a published sheet of ``org``'s 办公室 (budget 10 万元, indicators of tests.conftest) under a
year's rule pack, and its spending reported at a point."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring import services
from projects.models import SpendPlan
from spending.models import SpendReport


def spent(sheet, date: datetime.date, amount: str, user):
    """The sheet's cumulative spending at the checkpoint of ``date``."""
    checkpoint = sheet.fiscal_year.checkpoints.get(date=date)
    return SpendReport.objects.update_or_create(
        sheet=sheet, checkpoint=checkpoint,
        defaults={"amount": Decimal(amount), "reported_by": user,
                  "reported_at": timezone.make_aware(datetime.datetime.combine(date, datetime.time(17)))},
    )[0]


def use_pack(org, code: str):
    """2024 under the pack ``code``, as a year chooses it before its sheets are drafted: the demo's 2024 sheets lose
    their spending plans and reports first (the switch is refused while a plan names the old checkpoints)."""
    SpendReport.objects.filter(checkpoint__fiscal_year=org.year).delete()
    SpendPlan.objects.filter(checkpoint__fiscal_year=org.year).delete()
    services.year_pack_use(year=2024, code=code)
    org.year.refresh_from_db()
    return org


@pytest.fixture
def sichuan(org):
    """2024 under the 四川 pack (points 4/6/8/10 月底 at 25/40/60/80%, then 12月底 100%)."""
    return use_pack(org, "sichuan")
