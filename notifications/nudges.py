"""催办 due: a review task waiting more than ``NUDGE_AFTER_WORKDAYS`` working days goes to its reviewers; waiting more
than twice as long, also to the agency's leaders. Reads only, as ``reminders``."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from notifications import messages
from notifications.dues import Due, Holders
from notifications.models import Kind
from people import roles
from people.roles import Role
from workdays.days import workdays_between
from workflow import flow
from workflow.documents import chain_of, document_types, documents_of


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
    holders = Holders(wanted)
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
