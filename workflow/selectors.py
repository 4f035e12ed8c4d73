"""Reads for the workflow pages: task queues, done lists, the filtered sheet list."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from viewflow.workflow.models import Task

from projects.models import EDITABLE_STATES, TargetSheet
from projects.selectors import sheets_with_content
from workflow import roles
from workflow.flows import TargetSheetFlow
from workflow.models import SheetEvent
from workflow.permissions import visible_sheets
from workflow.services import OPEN_STATUSES

REVIEW_STEP_ROLES = (
    (TargetSheetFlow.section_review, roles.SECTION_HEAD, "section"),
    (TargetSheetFlow.leader_review, roles.LEADER, "agency"),
    (TargetSheetFlow.finance_review, roles.FINANCE_REVIEWER, "agency"),
)


def review_tasks(user) -> QuerySet:
    """Open review tasks ``user`` may act on: by step, scoped on the process's indexed section/agency keys."""
    if not user.is_authenticated:
        return Task.objects.none()
    scope = Q(pk__in=[])
    for step, role, key in REVIEW_STEP_ROLES:
        ids = roles.scope_ids(user, role)
        if ids:
            scope |= Q(flow_task=step, **{f"process__sheetprocess__{key}_id__in": ids})
    return (
        Task.objects.filter(scope, status__in=OPEN_STATUSES)
        .filter(Q(owner__isnull=True) | Q(owner=user))
        .select_related("process__sheetprocess__sheet__project", "owner")
        .order_by("created")
    )


def drafts_to_do(user) -> QuerySet:
    """Drafts and returned sheets of the sections where ``user`` is staff."""
    sections = roles.scope_ids(user, roles.STAFF) if user.is_authenticated else set()
    return (
        TargetSheet.objects.filter(section_id__in=sections, state__in=EDITABLE_STATES)
        .select_related("project", "fiscal_year", "section")
        .order_by("-state", "position")
    )


def inbox_count(user) -> int:
    return review_tasks(user).count() + drafts_to_do(user).count()


def done_events(user) -> QuerySet:
    return SheetEvent.objects.filter(actor=user).select_related("sheet__project").order_by("-created")


def sheet_list(user, *, year=None, section=None, state=None) -> QuerySet:
    queryset = visible_sheets(user, TargetSheet.objects.all())
    if year:
        queryset = queryset.filter(fiscal_year__year=year)
    if section:
        queryset = queryset.filter(section_id=section)
    if state:
        queryset = queryset.filter(state=state)
    return sheets_with_content(queryset).order_by("-fiscal_year__year", "agency__code", "position", "id")


def sheet_history(sheet) -> QuerySet:
    return sheet.events.select_related("actor", "target_user").order_by("created", "id")

