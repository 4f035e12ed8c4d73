"""Which reminders, warnings and nudges are due: reads only (``services`` writes the notifications).

Spending checkpoints, for each published sheet and each checkpoint of its year:
- 7 days and 1 day before the checkpoint (before its report deadline in the year's pack when that is later: 河北's
  June point is reported by the end of July): remind the section's staff to report (unless they already did);
- on the day the year's rule pack issues its warnings (today's rule: the first working day after it; 四川: the 1st
  of the next month), at each point the pack monitors: if the pack's spending rule grades the sheet yellow or red
  (today's rule: no report or the actual % below the plan, yellow up to 10 points behind, red more; 四川: below
  the point's line 25/40/60/80%), warn the staff and the section heads (red also the agency's leaders); the
  agency's finance reviewers get one digest listing every warned sheet.

Self-evaluations, for each deadline finance set for an agency's year (``evaluations.Deadline``):
- 7 days and 1 day before it: remind the section's staff of every published sheet of that agency and year whose
  self-evaluation is not submitted (none yet, a draft or returned);
- on the first working day after it: warn the staff and the section heads of those still not submitted, and send
  each finance reviewer of those agencies one digest: per agency they review, how many are still not submitted.

Nudges: a review task waiting more than ``NUDGE_AFTER_WORKDAYS`` working days
goes to its reviewers; waiting more than twice as long, also to the agency's leaders.

Every item carries a dedupe key, so running a day twice writes nothing new.

A province has 100,000 published sheets: the sheets, plans, reports and role holders are read as tuples in a
fixed number of queries (no model object per sheet), each text is filled into one template per checkpoint
(``messages.SpendReminderText`` …), and ``services`` writes every row in one statement.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from notifications import messages
from notifications.messages import Message
from notifications.models import Kind
from workdays.days import next_workday, workdays_between
from core.errors import AppError
from evaluations.models import Deadline
from monitoring import deadlines as monitoring_deadlines, packs as monitoring_packs, selectors as monitoring_selectors
from monitoring import spend_rules
from projects.models import EDITABLE_STATES, Checkpoint, SheetState, SpendPlan, TargetSheet
from projects.values import format_number
from people import roles
from people.roles import Role
from spending import services as spending
from spending.models import SpendReport
from workflow import flow
from workflow.documents import chain_of, document_types, documents_of

REMINDER_DAYS_BEFORE = (7, 1)
# a deadline's first working day after it is at most this far away (the longest holiday is 8 days)
WARNING_LOOKBACK = datetime.timedelta(days=20)
# a checkpoint's warning day is at most this far after it: the first working day after it, or after its report
# deadline in the year's pack (河北: the June point reported by the end of July)
POINT_WARNING_LOOKBACK = datetime.timedelta(days=75)
# the daily job also sends what was due on this many days before today and was missed (beat or the worker down)
CATCH_UP_DAYS = 7


@dataclass(slots=True)
class Due:
    """One message due to its recipients (``services`` writes a row per recipient and channel, once per dedupe key)."""

    kind: str
    summary: str  # one line for the run_reminders output
    recipients: list  # people (``pk``, ``username``, ``email``); items of one scope share the list: never change it
    title: str
    body: str
    url: str
    document_field: str | None  # the document it is about: its foreign key's name on the notification ("sheet") …
    document_id: int | None  # … and its id (None for an agency's digest)
    dedupe_key: str

    @classmethod
    def of(cls, *, kind: str, summary: str, recipients: list, message: Message, dedupe_key: str) -> "Due":
        document = message.document
        field = type(document).history_field if document is not None else None
        return cls(kind, summary, recipients, message.title, message.body, message.url, field, document and document.pk, dedupe_key)

    @property
    def document_key(self) -> dict:
        """The notification's document foreign key, as ``{"sheet_id": 12}`` (empty for none)."""
        return {f"{self.document_field}_id": self.document_id} if self.document_field else {}


class _Holders:
    """Role holders of every section and agency involved, read in one query (never one per sheet)."""

    def __init__(self, wanted: dict[str, set[int]]):
        self._map = roles.holders_by_scope(wanted) if any(wanted.values()) else {}

    def shared(self, role: str, scope_id: int | None) -> list:
        """The holders of ``role`` on a scope (a section or agency id) as one list shared by every caller: read it,
        never change it."""
        return self._map.get((role, scope_id), _NOBODY)


_NOBODY: list = []


def spending_due_on(day: datetime.date, *, today: datetime.date | None = None) -> list[Due]:
    """Reminders, warnings and finance digests due on ``day`` (a local date).

    ``today`` (default ``day``) is when they are sent: a day caught up later reads the reports
    and the days left as of ``today``, and skips reminders a later one has overtaken.
    """
    today = today or day
    years: dict = {}  # each year's pack, read once for the day's reminders and warnings
    return _reminders(day, today, years) + _warnings(day, today, years)


def due_on(day: datetime.date, *, today: datetime.date | None = None) -> list[Due]:
    """Everything the daily job sends for ``day``: the spending checkpoints' and the self-evaluations' deadlines'."""
    return spending_due_on(day, today=today) + evaluation_due_on(day, today=today)


def spending_due_since(today: datetime.date, *, days: int = CATCH_UP_DAYS, of=None) -> list[Due]:
    """What was due on ``today`` and on each of the ``days - 1`` days before it (the dedupe keys skip what was sent);
    ``of``: the reads of one day (default ``spending_due_on``; ``due_on`` for all the daily notices)."""
    of = of or spending_due_on
    due: dict[str, Due] = {}
    for back in range(days - 1, -1, -1):
        for item in of(today - datetime.timedelta(days=back), today=today):
            due.setdefault(item.dedupe_key, item)
    return list(due.values())


def _report_dues(first: datetime.date, last: datetime.date, years: dict) -> list[tuple]:
    """(checkpoint, the day its report is due) of the reports due between ``first`` and ``last``: the checkpoint's
    own day, or its report deadline in the year's pack when later (河北: the June point by the end of July)."""
    found = []
    near = Checkpoint.objects.filter(date__lte=last, date__gte=first - POINT_WARNING_LOOKBACK).select_related("fiscal_year")
    for checkpoint in near.order_by("date"):
        year = checkpoint.fiscal_year.year
        if year not in years:
            years[year] = _year_pack(year)
        _rule, point = years[year][1].get(checkpoint.date, (None, None))
        due = max(checkpoint.date, point.report_by) if point is not None else checkpoint.date
        if first <= due <= last:
            found.append((checkpoint, due))
    return found


def _reminders(day: datetime.date, today: datetime.date, years: dict) -> list[Due]:
    work = []
    by_day = {day + datetime.timedelta(days=days_left): days_left for days_left in REMINDER_DAYS_BEFORE}
    for checkpoint, report_due in _report_dues(min(by_day), max(by_day), years):
        days_left = by_day.get(report_due)
        if days_left is None:
            continue
        if report_due < today:
            continue  # caught up too late: the report's day passed, its warning tells the rest
        if any(d < days_left and report_due - datetime.timedelta(days=d) <= today for d in REMINDER_DAYS_BEFORE):
            continue  # a later reminder for the same checkpoint is due by now: send that one only
        work.append((days_left, checkpoint, report_due, *_unreported(checkpoint)))
    holders = _Holders({Role.STAFF: {section_id for _, _, _, sheets, _ in work for _, section_id in sheets} - {None}})
    due = []
    for days_left, checkpoint, report_due, sheets, plans in work:
        left = (report_due - today).days
        text = messages.SpendReminderText(checkpoint, days_left=left, due=report_due)
        label, default = checkpoint.label, checkpoint.planned_percent
        for sheet, section_id in sheets:
            title, body, url = text(sheet, plans.get(sheet.pk, default))  # spending.planned_percent, read in one query
            due.append(Due(
                Kind.SPEND_REMINDER, f"填报提醒（还有 {left} 天）：“{sheet.title}”（{sheet.code}） {label}",
                holders.shared(Role.STAFF, section_id), title, body, url, "sheet", sheet.pk,
                f"spend-reminder:{sheet.pk}:{checkpoint.pk}:{days_left}",
            ))
    return due


def _unreported(checkpoint) -> tuple[list, dict]:
    """The published sheets of the checkpoint's year without a report for it, as (SheetText, section id), and their
    plans at it: two queries, plain values (no model is built for a province's 100,000 sheets)."""
    published = TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year_id=checkpoint.fiscal_year_id)
    rows = (
        published.filter(~Exists(SpendReport.objects.filter(sheet=OuterRef("pk"), checkpoint=checkpoint)))
        .order_by("agency__code", "position", "id")
        .values_list("pk", "title", "project__name", "project__code", "agency__code", "agency__name", "section_id", "section__name")
    )
    sheets = [
        # display_title and unit_line as TargetSheet and Agency say them
        (
            messages.SheetText(
                pk, title or project_name, code, f"{agency_code}{agency_name}", section_name if section_id else None
            ),
            section_id,
        )
        for pk, title, project_name, code, agency_code, agency_name, section_id, section_name in rows
    ]
    plans = dict(
        SpendPlan.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "cumulative_percent")
    )
    return sheets, plans


def _year_pack(year: int) -> tuple:
    """(the rule pack ``year`` follows or None, {point date: (spending rule, point)}); one query."""
    try:
        pack = monitoring_selectors.pack_for_year(year)
    except AppError:  # no default pack: today's rule
        return None, {}
    return pack, {point.date: (spend_rules.rule_of(pack, point), point) for point in monitoring_packs.points_in(pack, year)}


def _warned_points(day: datetime.date, years: dict) -> list[tuple]:
    """(checkpoint, its rule) of the points whose warnings the year's pack issues on ``day`` (monitored points only)."""
    found = []
    near = Checkpoint.objects.filter(date__lt=day, date__gte=day - POINT_WARNING_LOOKBACK)
    for checkpoint in near.select_related("fiscal_year").order_by("date"):
        year = checkpoint.fiscal_year.year
        if year not in years:
            years[year] = _year_pack(year)
        pack, points = years[year]
        rule, point = points.get(checkpoint.date, (spending.TODAY_RULE, None))
        if pack is None or point is None:
            warned_on = next_workday(checkpoint.date)
        else:  # after the point's report deadline when that is later (河北: the June point reported in July)
            warned_on = monitoring_deadlines.warning_date(pack, checkpoint.date, point.report_by)
        if warned_on == day and rule.monitored:
            found.append((checkpoint, rule))
    return found


def _warnings(day: datetime.date, today: datetime.date, years: dict) -> list[Due]:
    work = [(checkpoint, rule, *_published(checkpoint)) for checkpoint, rule in _warned_points(day, years)]
    sections = {section_id for _, _, sheets, _, _ in work for _, section_id, _, _ in sheets} - {None}
    agencies = {agency.pk for _, _, sheets, _, _ in work for _, _, agency, _ in sheets}
    holders = _Holders({
        Role.STAFF: sections, Role.SECTION_HEAD: sections, Role.LEADER: agencies, Role.FINANCE_REVIEWER: agencies,
    })
    audiences: dict[tuple, list] = {}  # (section, agency, red) → staff and heads (and leaders), shared by its sheets
    due = []
    for checkpoint, rule, sheets, plans, reports in work:
        text = messages.SpendWarningText(checkpoint)
        default = checkpoint.planned_percent
        by_agency: dict[int, tuple[object, list]] = {}
        for sheet, section_id, agency, budget_total in sheets:
            point = spending.spend_at(
                checkpoint, planned=plans.get(sheet.pk, default), budget_total=budget_total,
                report=reports.get(sheet.pk), today=today, rule=rule,
            )
            if point.level not in (spending.YELLOW, spending.RED):
                continue
            planned = rule.reference(point.planned)  # what the sheet is compared with: its plan, or the pack's line
            red = point.level == spending.RED
            recipients = audiences.get((section_id, agency.pk, red))
            if recipients is None:
                recipients = holders.shared(Role.STAFF, section_id) + holders.shared(Role.SECTION_HEAD, section_id)
                if red:
                    recipients += holders.shared(Role.LEADER, agency.pk)
                audiences[(section_id, agency.pk, red)] = recipients
            state = "未填报" if point.actual is None else f"实际 {format_number(point.actual)}%"
            title, body, url = text(sheet, planned=planned, actual=point.actual, behind=point.behind, level=point.level)
            due.append(Due(
                Kind.SPEND_WARNING,
                f"{spending.LEVEL_LABELS[point.level]}：“{sheet.title}”（{sheet.code}） {checkpoint.label} "
                f"计划 {format_number(planned)}%，{state}",
                recipients, title, body, url, "sheet", sheet.pk, f"spend-warning:{sheet.pk}:{checkpoint.pk}",
            ))
            by_agency.setdefault(agency.pk, (agency, []))[1].append((sheet, planned, point.actual, point.level))
        for agency, warned in by_agency.values():
            due.append(Due.of(
                kind=Kind.SPEND_DIGEST,
                summary=f"预警汇总：{agency.unit_line} {checkpoint.label} 共 {len(warned)} 张",
                recipients=holders.shared(Role.FINANCE_REVIEWER, agency.pk),
                message=messages.for_spend_digest(agency, checkpoint, warned),
                dedupe_key=f"spend-digest:{agency.pk}:{checkpoint.pk}",
            ))
    return due


class _Agency(NamedTuple):
    pk: int
    code: str
    name: str

    @property
    def unit_line(self) -> str:
        return f"{self.code}{self.name}"  # as Agency.unit_line


class _Amount(NamedTuple):
    amount: Decimal  # what spending.spend_at reads of a report


def _published(checkpoint) -> tuple[list, dict, dict]:
    """The published sheets of the checkpoint's year as (SheetText, section id, agency, budget), their plans at it and
    the amounts reported for it: three queries, plain values."""
    published = TargetSheet.objects.filter(state=SheetState.PUBLISHED, fiscal_year_id=checkpoint.fiscal_year_id)
    rows = published.order_by("agency__code", "position", "id").values_list(
        "pk", "title", "project__name", "project__code", "agency_id", "agency__code", "agency__name", "section_id",
        "section__name", "budget_total",
    )
    agencies: dict[int, _Agency] = {}
    sheets = []
    for pk, title, project_name, code, agency_id, agency_code, agency_name, section_id, section_name, budget in rows:
        agency = agencies.get(agency_id)
        if agency is None:
            agency = agencies[agency_id] = _Agency(agency_id, agency_code, agency_name)
        text = messages.SheetText(pk, title or project_name, code, agency.unit_line, section_name if section_id else None)
        sheets.append((text, section_id, agency, budget))
    plans = dict(
        SpendPlan.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "cumulative_percent")
    )
    reports = {
        sheet_id: _Amount(amount)
        for sheet_id, amount in SpendReport.objects.filter(checkpoint=checkpoint, sheet__in=published).values_list("sheet_id", "amount")
    }
    return sheets, plans, reports


# ---------------------------------------------------------------- self-evaluations' deadlines (自评截止日期)


def evaluation_due_on(day: datetime.date, *, today: datetime.date | None = None) -> list[Due]:
    """The self-evaluation reminders (7 and 1 days before a deadline) and overdue warnings (its first working day
    after) due on ``day``, sent on ``today`` (default ``day``; a day caught up later skips a reminder a later one has
    overtaken, and one whose deadline passed); on that first working day also one digest to each finance reviewer of
    those agencies, listing per agency they review how many sheets are still not submitted (``_evaluation_digests``).
    A fixed number of queries: the deadlines near the day, then (only when one is due) the sheets not submitted of
    those agencies' years, and their staff, heads and finance reviewers, as tuples."""
    today = today or day
    near = Deadline.objects.filter(
        due__gte=day - WARNING_LOOKBACK, due__lte=day + datetime.timedelta(days=max(REMINDER_DAYS_BEFORE))
    ).values_list("pk", "agency_id", "fiscal_year_id", "due", "fiscal_year__year")
    work: dict[tuple[int, int], tuple] = {}  # (agency, year) → (deadline, year, days_left or None for the warning)
    for pk, agency_id, fiscal_year_id, due, year in near:
        days_left = (due - day).days
        if days_left in REMINDER_DAYS_BEFORE:
            if due < today:
                continue  # caught up too late: the deadline passed, its warning tells the rest
            if any(d < days_left and due - datetime.timedelta(days=d) <= today for d in REMINDER_DAYS_BEFORE):
                continue  # a later reminder for the same deadline is due by now: send that one only
            work[(agency_id, fiscal_year_id)] = (due, year, days_left)
        elif due < day and next_workday(due) == day:
            work[(agency_id, fiscal_year_id)] = (due, year, None)
    if not work:
        return []
    sheets = _not_submitted([due for due, _, _ in work.values()])
    sections = {row[6] for row in sheets if (row[4], row[5]) in work} - {None}
    warned = any(days_left is None for _, _, days_left in work.values())
    overdue_agencies = {row[4] for row in sheets if work.get((row[4], row[5]), (None, None, 0))[2] is None}
    holders = _Holders({
        Role.STAFF: sections, Role.SECTION_HEAD: sections if warned else set(), Role.FINANCE_REVIEWER: overdue_agencies,
    })
    texts: dict[tuple, messages.EvaluationDueText] = {}
    audiences: dict[tuple, list] = {}
    overdue: dict[tuple[int, int], list] = {}  # (agency, year) → [code, name, year, deadline, sheets not submitted]
    result = []
    for pk, title, project_name, code, agency_id, fiscal_year_id, section_id, section_name, agency_code, agency_name, evaluation_id in sheets:
        found = work.get((agency_id, fiscal_year_id))
        if found is None:
            continue  # a deadline of the same day for another agency's year
        due, year, days_left = found
        text = texts.get(found)
        if text is None:
            text = texts[found] = messages.EvaluationDueText(due=due, year=year, days_left=days_left, today=today)
        sheet = messages.SheetText(pk, title or project_name, code, f"{agency_code}{agency_name}", section_name if section_id else None)
        subject, body, url = text(sheet, evaluation_id)
        if days_left is None:
            counted = overdue.get((agency_id, fiscal_year_id))
            if counted is None:
                counted = overdue[(agency_id, fiscal_year_id)] = [agency_code, agency_name, year, due, 0]
            counted[4] += 1
            recipients = audiences.get(section_id)
            if recipients is None:
                recipients = audiences[section_id] = holders.shared(Role.STAFF, section_id) + holders.shared(Role.SECTION_HEAD, section_id)
            result.append(Due(
                Kind.EVAL_OVERDUE, f"自评逾期：“{sheet.title}”（{code}） {year}年度自评截止 {due:%Y-%m-%d}",
                recipients, subject, body, url, "sheet", pk, f"eval-overdue:{pk}:{due:%Y%m%d}",
            ))
        else:
            result.append(Due(
                Kind.EVAL_REMINDER, f"自评提醒（还有 {(due - today).days} 天）：“{sheet.title}”（{code}） {year}年度自评截止 {due:%Y-%m-%d}",
                holders.shared(Role.STAFF, section_id), subject, body, url, "sheet", pk,
                f"eval-reminder:{pk}:{due:%Y%m%d}:{days_left}",
            ))
    return result + _evaluation_digests(overdue, holders, day=day, today=today)


def _evaluation_digests(overdue: dict[tuple[int, int], list], holders: _Holders, *, day: datetime.date,
                        today: datetime.date) -> list[Due]:
    """One digest per finance reviewer of the agencies whose deadline's first working day after is ``day``: the
    agencies they review (in code order) with their count of sheets not submitted. Built from what the warnings read
    (no query of its own); reviewers of the same agencies share one text. Once per reviewer and day."""
    mine: dict[int, tuple[roles.Holder, dict]] = {}  # reviewer → (holder, {(agency, year): OverdueAgency})
    for key, (code, name, year, due, count) in overdue.items():
        agency = messages.OverdueAgency(code, name, year, due, count)
        for holder in holders.shared(Role.FINANCE_REVIEWER, key[0]):
            mine.setdefault(holder.pk, (holder, {}))[1].setdefault(key, agency)  # a delegate listed twice: once
    texts: dict[tuple, Message] = {}
    result = []
    for holder, agencies in mine.values():
        listed = sorted(agencies.values(), key=lambda agency: (agency.code, agency.year))
        message = texts.get(tuple(listed))
        if message is None:
            message = texts[tuple(listed)] = messages.for_evaluation_digest(listed, today=today)
        units = "、".join(agency.unit_line for agency in listed)
        result.append(Due.of(
            kind=Kind.EVAL_DIGEST,
            summary=f"自评逾期汇总：{holder.name or holder.username}（{units}）共 {sum(a.count for a in listed)} 张未提交",
            recipients=[holder], message=message, dedupe_key=f"eval-digest:{holder.pk}:{day:%Y%m%d}",
        ))
    return result


def _not_submitted(dues: list[datetime.date]) -> list[tuple]:
    """The published sheets (in force) of every agency's year with a deadline on one of ``dues`` whose self-evaluation
    is not submitted (none, a draft, returned), as value tuples: one query (the caller keeps its own agencies' years)."""
    deadline = Deadline.objects.filter(agency_id=OuterRef("agency_id"), fiscal_year_id=OuterRef("fiscal_year_id"), due__in=dues)
    return list(
        TargetSheet.objects.filter(state=SheetState.PUBLISHED)
        .filter(Exists(deadline))
        .filter(Q(evaluation__isnull=True) | Q(evaluation__state__in=EDITABLE_STATES))
        .order_by("agency__code", "position", "id")
        .values_list(
            "pk", "title", "project__name", "project__code", "agency_id", "fiscal_year_id", "section_id", "section__name",
            "agency__code", "agency__name", "evaluation__id",
        )
    )


def nudges_due(now: datetime.datetime | None = None) -> list[Due]:
    """催办 due at ``now``: one per waiting review task of every document type and level (1: reviewers; 2: reviewers
    and leaders). A fixed number of queries per document type."""
    today = timezone.localdate(now or timezone.now())
    return [due for model in document_types() for due in _nudges_due_of(model, today)]


# what a nudge reads of any waiting document, before the document's own text values (``approval_text_fields``)
_NUDGE_VALUES = (
    "pk", "state", "state_since", "agency_id", "agency__code", "agency__name", "section_id", "section__name",
    "assignee_id", "assignee__is_active", "assignee__username", "assignee__email", "round_actors",
    "consultant_id", "consultant__is_active", "consultant__username", "consultant__email",  # 加签
)


def _nudges_due_of(model, today: datetime.date) -> list[Due]:
    """The nudges of ``model``'s waiting documents. They are read as tuples; how long a task waited depends only on
    the day it started, so the working days are counted once per such day, not once per document."""
    after = settings.NUDGE_AFTER_WORKDAYS
    chain = chain_of(model)
    rows = (
        documents_of(model).filter(state__in=chain.review_states, state_since__isnull=False)
        .order_by("agency__code", "id")
        .values_list(*_NUDGE_VALUES, *model.approval_text_fields)
    )
    waited_since: dict[datetime.date, int] = {}
    waiting = []
    for row in rows:
        since_day = timezone.localtime(row[2]).date()
        waited = waited_since.get(since_day)
        if waited is None:
            waited = waited_since[since_day] = workdays_between(since_day, today)
        if waited > after:
            waiting.append((row, waited, 2 if waited > 2 * after else 1))
    wanted: dict[str, set[int]] = {}
    for row, _, level in waiting:
        role = chain.step_for(row[1]).role
        wanted.setdefault(role, set()).add(row[6] if roles.is_section_role(role) else row[3])
        if level == 2:
            wanted.setdefault(Role.LEADER, set()).add(row[3])
    holders = _Holders(wanted)
    text = messages.NudgeText(model)
    due = []
    count = len(_NUDGE_VALUES)
    for row, waited, level in waiting:
        (pk, state, since, agency_id, agency_code, agency_name, section_id, section_name,
         assignee_id, assignee_active, assignee_username, assignee_email, round_actors,
         consultant_id, consultant_active, consultant_username, consultant_email) = row[:count]
        # the title as its display_title says it, its code, and its page where that is not reversed from the id
        shown, code, *path = model.approval_text_title(*row[count:])
        document = messages.SheetText(pk, shown, code, f"{agency_code}{agency_name}", section_name if section_id else None)
        role = chain.step_for(state).role
        # flow.reviewers on the batched holders: the active assignee once reassigned, else the step's role holders
        if consultant_id and consultant_active:  # 加签: the step waits for this person's opinion
            recipients = [roles.Holder(consultant_id, consultant_username, consultant_email)]
        elif assignee_id and assignee_active:
            recipients = [roles.Holder(assignee_id, assignee_username, assignee_email)]
        else:
            recipients = holders.shared(role, section_id if roles.is_section_role(role) else agency_id)
        # never those who submitted or approved it in this round: they may not act on it (提交与审核分离)
        acted = flow.round_ids(round_actors)
        if any(holder.pk in acted or holder.principal in acted for holder in recipients):  # (a delegate acts for the principal)
            recipients = [holder for holder in recipients if holder.pk not in acted and holder.principal not in acted]
        if level == 2:
            recipients = recipients + holders.shared(Role.LEADER, agency_id)
        title, body, url = text(document, state=state, workdays=waited, since=since, level=level, path=path[0] if path else None)
        due.append(Due(
            Kind.NUDGE,
            f"{'再次催办' if level == 2 else '催办'}：“{document.title}”{f'（{code}）' if code else ''} 已在“{chain.label(state)}”等待 {waited} 个工作日",
            recipients, title, body, url, model.history_field, pk, _nudge_key(model, pk, state, since, level),
        ))
    return due


def _nudge_key(model, pk: int, state: str, since: datetime.datetime, level: int) -> str:
    """Once per document, step, arrival at it and level. (A sheet's key names no type: the keys written before the
    other documents came stay valid.)"""
    kind = "" if model.history_field == "sheet" else f"{model.history_field}:"
    return f"nudge:{kind}{pk}:{state}:{since:%Y%m%d%H%M%S%f}:{level}"


# ---------------------------------------------------------------- 处置 (the monitoring of issue 21)


def disposal_dues(run, *, today: datetime.date) -> list[Due]:
    """The notices of a day's 处置 work (``monitoring.services.disposals_run``): each 处置 opened goes to its section's
    staff and head (with the deadline); each overdue one is nudged every day to them and the agency's leaders, with
    the consequence the pack recorded. Reads the role holders in one query."""
    overdue = [d for d in run.overdue]
    sections = {d.section_id for d in (*run.opened, *overdue)} - {None}
    agencies = {d.agency_id for d in overdue}
    holders = _Holders({Role.STAFF: sections, Role.SECTION_HEAD: sections, Role.LEADER: agencies})
    due = []
    for disposal in run.opened:
        sheet = messages.SheetText.of(disposal.sheet)
        options = "、".join(disposal.options)
        body = (
            f"{sheet.unit_line}“{sheet.title}”（{sheet.code}）在{disposal.point_label}运行监控中评价为红灯：{disposal.grounds}。\n"
            f"请在 {disposal.due:%Y-%m-%d} 前作出处置决定（{options}），逾期未处置将记录为“{disposal.pack.overdue_consequence}”。"
        )
        due.append(Due(
            Kind.DISPOSAL, f"监控处置：“{sheet.title}”（{sheet.code}） {disposal.point_label}红灯，{disposal.due:%Y-%m-%d} 前处置",
            holders.shared(Role.STAFF, disposal.section_id) + holders.shared(Role.SECTION_HEAD, disposal.section_id),
            f"【监控预警】{sheet.title}：请在 {disposal.due:%Y-%m-%d} 前处置", body,
            messages.absolute(disposal.get_absolute_url()), "disposal", disposal.pk, f"disposal-open:{disposal.pk}",
        ))
    for disposal in overdue:
        sheet = messages.SheetText.of(disposal.sheet)
        consequence = f"已记录为“{disposal.consequence}”。" if disposal.consequence else ""
        body = (
            f"{sheet.unit_line}“{sheet.title}”（{sheet.code}）{disposal.point_label}红灯的处置期限 {disposal.due:%Y-%m-%d} 已过，"
            f"尚未作出处置决定。{consequence}请尽快作出处置决定并提交审批。"
        )
        due.append(Due(
            Kind.DISPOSAL, f"处置催办：“{sheet.title}”（{sheet.code}） 期限 {disposal.due:%Y-%m-%d} 已过",
            holders.shared(Role.STAFF, disposal.section_id) + holders.shared(Role.SECTION_HEAD, disposal.section_id)
            + holders.shared(Role.LEADER, disposal.agency_id),
            f"【处置逾期】{sheet.title}", body, messages.absolute(disposal.get_absolute_url()), "disposal", disposal.pk,
            f"disposal-overdue:{disposal.pk}:{today:%Y%m%d}",
        ))
    return due
