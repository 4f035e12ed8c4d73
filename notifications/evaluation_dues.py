"""Self-evaluations' deadlines (自评截止日期): which reminders, overdue warnings and finance digests are due on a day,
for each deadline finance set for an agency's year (``evaluations.Deadline``). Reads only, as ``reminders``:
- 7 days and 1 day before it: remind the section's staff of every published sheet of that agency and year whose
  self-evaluation is not submitted (none yet, a draft or returned);
- on the first working day after it: warn the staff and the section heads of those still not submitted, and send
  each finance reviewer of those agencies one digest: per agency they review, how many are still not submitted."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from evaluations.models import Deadline
from notifications import messages
from notifications.dues import REMINDER_DAYS_BEFORE, WARNING_LOOKBACK, Due, Holders
from notifications.messages import Message
from notifications.models import Kind
from people import roles
from people.roles import Role
from projects.models import EDITABLE_STATES, SheetState, TargetSheet
from workdays.days import next_workday

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
    holders = Holders({
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


def _evaluation_digests(overdue: dict[tuple[int, int], list], holders: Holders, *, day: datetime.date,
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


