"""Reads of the self-evaluations: the list a person works from."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from evaluations.models import SelfEvaluation
from people import roles
from projects.models import SheetState, TargetSheet
from workflow.permissions import visible_documents


def evaluations_visible(user) -> QuerySet:
    """The self-evaluations ``user`` may read, newest year first."""
    return (
        visible_documents(user, SelfEvaluation.objects.all())
        .select_related("sheet__project", "sheet__fiscal_year", "section", "agency")
        .order_by("-sheet__fiscal_year__year", "agency__code", "sheet__position", "id")
    )


def sheets_to_evaluate(user) -> QuerySet:
    """Published sheets of the sections where ``user`` drafts, of years already over, without a self-evaluation."""
    if not user.is_authenticated:
        return TargetSheet.objects.none()
    return (
        TargetSheet.objects.filter(
            roles.scope_in(user, roles.Role.STAFF, "section_id"), state=SheetState.PUBLISHED,
            fiscal_year__year__lt=timezone.localdate().year, evaluation__isnull=True,
        )
        .select_related("project", "fiscal_year", "section")
        .order_by("-fiscal_year__year", "position", "id")
    )
