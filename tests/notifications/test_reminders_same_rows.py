"""The set-based reminders (tuples, one text template per checkpoint, one INSERT for every row) write exactly the
rows the obvious per-item path writes: for each published sheet without a report, its section's staff
(``roles.users_with_role``), the checkpoint's text on the sheet's models (``per_sheet`` below),
``notifications_create``. Same recipients, channels (by preference), titles, bodies, URLs, dedupe keys, statuses,
and in the same order."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from notifications import messages, outbox, reminder_writes
from notifications.models import Kind, Notification, Preference
from people import roles
from people.services import role_grant
from projects.models import Checkpoint, SheetState, SpendPlan, TargetSheet
from spending.models import SpendReport
from tests.support import make_user

JUNE = datetime.date(2024, 6, 30)


def per_sheet(kind, text, sheet, **values) -> messages.Message:
    """The message of one sheet, its text made from the sheet's models (the set-based path reads tuples)."""
    title, body, url = text(messages.SheetText.of(sheet), **values)
    return messages.Message(kind, title, body, url, sheet)


@pytest.fixture
def province(org, make_sheet, settings):
    """Published sheets of two agencies; staff with every kind of channel choice; a plan of its own; a report."""
    settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", "1000002"  # WeCom on
    Preference.objects.filter(user=org.colleague).update(email_enabled=False)  # in-app and WeCom only
    Preference.objects.filter(user=org.owner).update(wecom_enabled=False)  # in-app and e-mail
    role_grant(user=make_user("no_mail", email=""), role=roles.STAFF, scope=org.office)  # in-app only
    role_grant(user=make_user("gone", is_active=False), role=roles.STAFF, scope=org.business)  # nobody
    role_grant(user=org.owner, role=roles.STAFF, scope=org.business)  # staff of two sections
    sheets = [make_sheet(org.office if n % 3 else org.business) for n in range(7)]
    sheets.append(make_sheet(org.other_agency.sections.get()))
    sheets[1].title = "自定义标题"
    sheets[1].save(update_fields=["title"])
    TargetSheet.objects.filter(pk=sheets[2].pk).update(section=None)  # a sheet no section's staff is reminded of
    june = Checkpoint.objects.get(fiscal_year=org.year, date=JUNE)
    SpendPlan.objects.filter(sheet=sheets[3], checkpoint=june).update(cumulative_percent=Decimal("37.50"))
    SpendReport.objects.create(sheet=sheets[4], checkpoint=june, amount=Decimal("5.00"), reported_at=timezone.now())
    TargetSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(state=SheetState.PUBLISHED)
    make_sheet(org.office)  # a draft: not reminded
    Notification.objects.all().delete()
    return sheets


def snapshot() -> list[tuple]:
    rows = Notification.objects.order_by("pk").values_list(
        "recipient__username", "channel", "kind", "sheet_id", "title", "body", "url", "dedupe_key", "status",
        "sent_at", "attempts", "failure_kind",
    )
    return [(*row[:9], row[9] is not None, *row[10:]) for row in rows]


def per_item(*, days_left: int, left: int) -> list[tuple]:
    """What the per-item path writes for the reminder ``days_left`` days before June, sent ``left`` days before."""
    june = Checkpoint.objects.get(fiscal_year__year=2024, date=JUNE)
    sheets = (
        TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year=june.fiscal_year)
        .exclude(spend_reports__checkpoint=june)
        .select_related("project", "agency", "section")
        .prefetch_related("plan")
        .order_by("agency__code", "position", "id")
    )
    for sheet in sheets:
        planned = next((p.cumulative_percent for p in sheet.plan.all() if p.checkpoint_id == june.pk), june.planned_percent)
        outbox.notifications_create(
            recipients=list(roles.users_with_role(roles.STAFF, sheet.section)),
            message=per_sheet(Kind.SPEND_REMINDER, messages.SpendReminderText(june, days_left=left), sheet, planned=planned),
            dedupe_key=f"spend-reminder:{sheet.pk}:{june.pk}:{days_left}",
        )
    rows = snapshot()
    Notification.objects.all().delete()
    return rows


@pytest.mark.parametrize("day, catch_up, days_left, left", [
    (datetime.date(2024, 6, 23), 1, 7, 7),
    (datetime.date(2024, 6, 29), 1, 1, 1),
    (datetime.date(2024, 6, 25), 7, 7, 5),  # 06-23 missed: caught up with the days left as of 06-25
])
def test_the_set_based_reminders_write_the_rows_of_the_per_item_path(province, day, catch_up, days_left, left):
    expected = per_item(days_left=days_left, left=left)

    sent = reminder_writes.reminders_send(day=day, catch_up_days=catch_up)

    assert snapshot() == expected
    # 办公室 (2 sheets): owner in-app + e-mail, no_mail in-app; 业务科 (3): colleague in-app + WeCom, owner in-app +
    # e-mail; the other agency (1): outsider in-app + e-mail
    assert len(expected) == 2 * 3 + 3 * 4 + 2
    assert sum(len(item.rows) for item in sent) == len(expected)
    assert [(row.recipient.username, row.channel) for item in sent for row in item.rows] == [row[:2] for row in expected]
    assert reminder_writes.reminders_send(day=day, catch_up_days=catch_up) == []  # once


def test_a_dry_run_lists_the_rows_a_run_writes(province):
    planned = reminder_writes.reminders_send(day=datetime.date(2024, 6, 23), dry_run=True)
    assert not Notification.objects.exists()

    sent = reminder_writes.reminders_send(day=datetime.date(2024, 6, 23))

    def rows(items):
        return [(item.due.dedupe_key, row.recipient.username, row.channel, row.status) for item in items for row in item.rows]

    assert rows(planned) == rows(sent) and all(row.pk is None for item in planned for row in item.rows)
    assert reminder_writes.reminders_send(day=datetime.date(2024, 6, 23), dry_run=True) == []


def test_a_reminder_says_what_it_said_before(province):
    """The text, spelled out: the template must not drift from what staff have been receiving."""
    sheet = province[3]  # 业务科, its own 37.5% plan for June
    reminder_writes.reminders_send(day=datetime.date(2024, 6, 23))

    row = Notification.objects.get(sheet=sheet, recipient__username="owner", channel="in_app")
    assert row.kind == Kind.SPEND_REMINDER
    assert row.title == f"填报提醒：{sheet.project.name}（6月底）"
    assert row.body == (
        "资金支出时间节点“6月底”（2024-06-30）还有 7 天，计划累计支出进度 37.5%。\n"
        f"绩效目标表：{sheet.project.name}\n"
        f"项目编码：{sheet.project.code}\n"
        "预算单位：489001测试县行政审批局本级\n"
        "科室：业务科\n"
        "下一步：请在节点前后填报截至该节点的累计实际支出；进度落后于计划时请说明原因。"
    )
    assert row.url == f"http://127.0.0.1:8000/sheets/{sheet.pk}/spending/"
    assert row.dedupe_key == f"spend-reminder:{sheet.pk}:{Checkpoint.objects.get(date=JUNE).pk}:7"
    custom = Notification.objects.get(sheet=province[1], recipient__username="owner", channel="in_app")
    assert custom.title == "填报提醒：自定义标题（6月底）" and "\n绩效目标表：自定义标题\n" in custom.body
    assert not Notification.objects.filter(sheet=province[2]).exists()  # no section: no staff
    assert not Notification.objects.filter(recipient=get_user_model().objects.get(username="gone")).exists()


def test_the_set_based_nudges_write_the_rows_of_the_per_item_path(org, make_sheet, settings):
    """Waiting at each review step, for 1, 3 and 6 working days, reassigned to an active and to a departed colleague."""
    import time_machine

    from tests.notifications.test_nudges import SHANGHAI
    from workdays import days
    from workflow import flow
    from workflow.steps import CHAIN

    settings.WECOM_CORP_ID, settings.WECOM_SECRET, settings.WECOM_AGENT_ID = "corp", "secret", "1000002"
    deputy = make_user("deputy", first_name="冯副科长")
    departed = make_user("departed", is_active=False)
    waits = {
        SheetState.SECTION_REVIEW: datetime.datetime(2024, 6, 3, 10, tzinfo=SHANGHAI),  # 6 working days by 06-12
        SheetState.LEADER_REVIEW: datetime.datetime(2024, 6, 6, 16, 45, tzinfo=SHANGHAI),  # 3
        SheetState.FINANCE_REVIEW: datetime.datetime(2024, 6, 11, 8, tzinfo=SHANGHAI),  # 1: not yet
    }
    sheets = []
    for n, (state, since) in enumerate(list(waits.items()) * 3):
        sheet = make_sheet(org.business if n % 2 else org.office, title=f"待审{n}")
        TargetSheet.objects.filter(pk=sheet.pk).update(state=state, state_since=since)
        sheets.append(sheet)
    TargetSheet.objects.filter(pk=sheets[0].pk).update(assignee=deputy)
    TargetSheet.objects.filter(pk=sheets[3].pk).update(assignee=departed)  # gone: the step's holders again
    TargetSheet.objects.filter(pk=sheets[4].pk).update(state=SheetState.LEADER_REVIEW, assignee=org.finance)
    Notification.objects.all().delete()
    now = datetime.datetime(2024, 6, 12, 9, 30, tzinfo=SHANGHAI)

    with time_machine.travel(now, tick=False):
        after = settings.NUDGE_AFTER_WORKDAYS
        waiting = (
            TargetSheet.objects.filter(state__in=CHAIN.review_states, state_since__isnull=False)
            .select_related("project", "agency", "section", "assignee").order_by("agency__code", "position", "id")
        )
        for sheet in waiting:
            waited = days.workdays_between(timezone.localtime(sheet.state_since), timezone.localdate())
            if waited <= after:
                continue
            level = 2 if waited > 2 * after else 1
            recipients = flow.reviewers(sheet)
            if level == 2:
                recipients += list(roles.users_with_role(roles.LEADER, sheet.agency))
            outbox.notifications_create(
                recipients=recipients,
                message=per_sheet(
                    Kind.NUDGE, messages.NudgeText(), sheet, state=sheet.state, workdays=waited, since=sheet.state_since, level=level
                ),
                dedupe_key=f"nudge:{sheet.pk}:{sheet.state}:{sheet.state_since:%Y%m%d%H%M%S%f}:{level}",
            )
        expected = snapshot()
        Notification.objects.all().delete()

        sent = reminder_writes.nudges_send()

    assert snapshot() == expected
    assert {row[0] for row in expected} == {"deputy", "office_head", "colleague_head", "agency_leader", "agency_finance"}
    assert sum(len(item.rows) for item in sent) == len(expected)
    assert any("再次催办" in row[4] for row in expected) and any(row[4].startswith("催办") for row in expected)


def test_the_set_based_warnings_and_digests_write_the_rows_of_the_per_item_path(province, org, settings):
    """2024-07-01: on plan, yellow (a report behind the sheet's own plan), red (no report, or a report far behind),
    a sheet without a section; leaders only for red; one digest per agency to its finance reviewers."""
    from spending import services as spending

    june = Checkpoint.objects.get(fiscal_year=org.year, date=JUNE)
    role_grant(user=make_user("leader_two"), role=roles.LEADER, scope=org.agency)
    SpendReport.objects.create(sheet=province[0], checkpoint=june, amount=Decimal("4.20"), reported_at=timezone.now())
    SpendReport.objects.create(sheet=province[3], checkpoint=june, amount=Decimal("3.00"), reported_at=timezone.now())
    SpendReport.objects.create(sheet=province[5], checkpoint=june, amount=Decimal("0.50"), reported_at=timezone.now())
    today = datetime.date(2024, 7, 1)

    warned: dict = {}
    for sheet in spending.published_sheets(fiscal_year=june.fiscal_year_id):
        report = next((r for r in sheet.spend_reports.all() if r.checkpoint_id == june.pk), None)
        point = spending.checkpoint_spend(sheet, june, report, today=today)
        if point.level not in (spending.YELLOW, spending.RED):
            continue
        recipients = list(roles.users_with_role(roles.STAFF, sheet.section)) + list(roles.users_with_role(roles.SECTION_HEAD, sheet.section))
        if point.level == spending.RED:
            recipients += list(roles.users_with_role(roles.LEADER, sheet.agency))
        outbox.notifications_create(
            recipients=recipients,
            message=per_sheet(
                Kind.SPEND_WARNING, messages.SpendWarningText(june), sheet,
                planned=point.planned, actual=point.actual, behind=point.behind, level=point.level,
            ),
            dedupe_key=f"spend-warning:{sheet.pk}:{june.pk}",
        )
        warned.setdefault(sheet.agency, []).append((messages.SheetText.of(sheet), point.planned, point.actual, point.level))
    for agency, sheets in warned.items():
        outbox.notifications_create(
            recipients=list(roles.users_with_role(roles.FINANCE_REVIEWER, agency)),
            message=messages.for_spend_digest(agency, june, sheets), dedupe_key=f"spend-digest:{agency.pk}:{june.pk}",
        )
    expected = snapshot()
    Notification.objects.all().delete()

    sent = reminder_writes.reminders_send(day=today)

    assert snapshot() == expected
    assert sum(len(item.rows) for item in sent) == len(expected)
    kinds = {row[2] for row in expected}
    titles = {row[4].split("：")[0] for row in expected}
    assert kinds == {Kind.SPEND_WARNING, Kind.SPEND_DIGEST} and {"黄色预警", "红色预警", "支出预警汇总"} <= titles
    assert {"agency_leader", "leader_two", "agency_finance"} <= {row[0] for row in expected}
