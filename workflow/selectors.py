"""Reads for the workflow pages: task queues, done lists, the filtered sheet list."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from people import roles
from projects.models import EDITABLE_STATES, TargetSheet
from projects.selectors import sheets_with_content
from workflow import approval
from workflow.models import SheetEvent
from workflow.permissions import visible_sheets


def review_tasks(user) -> QuerySet:
    """Sheets waiting at a step ``user`` may act on: by state and the indexed section/agency keys, oldest first."""
    if not user.is_authenticated:
        return TargetSheet.objects.none()
    scope = Q(pk__in=[])
    for step in approval.REVIEW_STEPS:
        ids = roles.scope_ids(user, step.role)
        if ids:
            scope |= Q(state=step.state, **{f"{step.scope_field}_id__in": ids})
    return (
        TargetSheet.objects.filter(scope)
        .filter(Q(assignee__isnull=True) | Q(assignee=user))
        .select_related("project", "section", "agency", "assignee")
        .order_by("state_since", "id")
    )


def drafts_to_do(user) -> QuerySet:
    """Drafts and returned sheets of the sections where ``user`` is staff."""
    sections = roles.scope_ids(user, approval.AUTHOR_ROLE) if user.is_authenticated else set()
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
