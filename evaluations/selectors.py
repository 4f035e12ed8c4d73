"""Reads of the self-evaluations: the list a person works from."""

from __future__ import annotations

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.http import Http404
from django.utils import timezone

from evaluations.models import Deadline, DepartmentEvaluation, Publication, SelfEvaluation
from people import roles
from projects.models import SheetState, TargetSheet
from workflow import flow
from workflow.documents import chain_of
from workflow.permissions import visible_document_or_404, visible_documents


def evaluations_visible(user) -> QuerySet:
    """The self-evaluations ``user`` may read, newest year first (one waiting for its publication date only where
    ``user`` acts on it)."""
    readable = visible_documents(user, SelfEvaluation.objects.all())
    if user.is_authenticated and not user.is_superuser:
        acting = Q(pk__in=[])
        for role in chain_of(SelfEvaluation).roles:
            acting |= roles.scope_in(user, role, "section_id" if roles.is_section_role(role) else "agency_id")
        readable = readable.exclude(waiting_q() & ~acting)
    return (
        with_waiting(readable)
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


# ---------------------------------------------------------------- publication (公开): 待公开 until the date finance set


def _today(today=None):
    return today or timezone.localdate()


def waiting_q(today=None) -> Q:
    """Self-evaluations approved by finance (state published) whose agency's year has a publication date still to
    come: they wait as 待公开 (a condition on one indexed lookup per row)."""
    later = Publication.objects.filter(
        agency_id=OuterRef("agency_id"), fiscal_year_id=OuterRef("sheet__fiscal_year_id"), public_from__gt=_today(today)
    )
    return Q(state=SheetState.PUBLISHED) & Q(Exists(later))


def with_waiting(queryset: QuerySet, today=None) -> QuerySet:
    """Each self-evaluation with ``waits_until``: the publication date an approved one waits for, else None."""
    later = Publication.objects.filter(
        agency_id=OuterRef("agency_id"), fiscal_year_id=OuterRef("sheet__fiscal_year_id"), public_from__gt=_today(today)
    ).values("public_from")[:1]
    return queryset.annotate(waits_until=Case(When(state=SheetState.PUBLISHED, then=Subquery(later)), default=None))


def public_evaluations(today=None) -> QuerySet:
    """The self-evaluations everyone may read: approved by finance and not waiting for their publication date."""
    return SelfEvaluation.objects.filter(state=SheetState.PUBLISHED).exclude(waiting_q(today))


def publication_date(agency_id: int, fiscal_year_id: int):
    """The publication date finance set for an agency's year, or None."""
    return (
        Publication.objects.filter(agency_id=agency_id, fiscal_year_id=fiscal_year_id)
        .values_list("public_from", flat=True).first()
    )


def deadline_of(agency_id: int, fiscal_year_id: int):
    """The deadline finance set for an agency's year's self-evaluations (自评截止日期), or None."""
    return (
        Deadline.objects.filter(agency_id=agency_id, fiscal_year_id=fiscal_year_id).values_list("due", flat=True).first()
    )


def deadlines_of(pairs) -> dict[tuple[int, int], object]:
    """{(agency id, fiscal year id): deadline} of the given pairs that have one (one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    rows = Deadline.objects.filter(
        agency_id__in={a for a, _ in pairs}, fiscal_year_id__in={y for _, y in pairs}
    ).values_list("agency_id", "fiscal_year_id", "due")
    return {(a, y): due for a, y, due in rows if (a, y) in pairs}


def pending_publication(agency_id: int, fiscal_year_id: int, today=None):
    """The publication date of an agency's year while it is still to come (approved ones wait for it), else None."""
    date = publication_date(agency_id, fiscal_year_id)
    return date if date is not None and date > _today(today) else None


def public_from(evaluation, today=None):
    """None when the evaluation is public or not approved yet; else the date it waits for (待公开)."""
    if evaluation.state != SheetState.PUBLISHED:
        return None
    return pending_publication(evaluation.agency_id, evaluation.sheet.fiscal_year_id, today)


def is_public(evaluation, today=None) -> bool:
    return evaluation.state == SheetState.PUBLISHED and public_from(evaluation, today) is None


def state_label(evaluation, today=None) -> str:
    """The state as people read it: 待公开（公开日期 …） for an approved one waiting for its date."""
    waiting = public_from(evaluation, today)
    if waiting is not None:
        return f"待公开（{waiting:%Y-%m-%d} 公开）"
    return chain_of(evaluation).label(evaluation.state)


def has_role_on(user, evaluation) -> bool:
    """Does ``user`` act on the evaluation's chain (its section's drafters and head, the agency's leader and finance)?"""
    return user.is_authenticated and (
        user.is_superuser or any(flow.holds(user, role, evaluation) for role in chain_of(evaluation).roles)
    )


def evaluation_or_404(user, pk, queryset=None) -> SelfEvaluation:
    """The self-evaluation ``user`` may read: the engine's rule (its roles by state; a published one everyone signed
    in), except that one waiting for its publication date is read only by those who act on it."""
    queryset = queryset if queryset is not None else SelfEvaluation.objects.select_related(
        *SelfEvaluation.approval_related, "updated_by"
    ).prefetch_related("rows")
    evaluation = visible_document_or_404(user, pk, queryset)
    if public_from(evaluation) is not None and not has_role_on(user, evaluation):
        raise Http404("没有找到这张绩效自评表。")
    return evaluation


def published_on(evaluation, today=None):
    """The day a public self-evaluation became public: finance's approval, or the publication date it waited for."""
    if not is_public(evaluation, today):
        return None
    approved = timezone.localtime(evaluation.state_since).date() if evaluation.state_since else None
    date = publication_date(evaluation.agency_id, evaluation.sheet.fiscal_year_id)
    return max(d for d in (approved, date) if d is not None) if (approved or date) else None


def public_evaluation_or_404(pk) -> SelfEvaluation:
    """A public self-evaluation for everyone (no sign-in), with what its 自评表 reads."""
    queryset = public_evaluations().select_related(*SelfEvaluation.approval_related).prefetch_related("rows")
    evaluation = queryset.filter(pk=pk).first()
    if evaluation is None:
        raise Http404("没有找到这张已公开的绩效自评表。")
    return evaluation


def department_or_404(user, pk):
    """The department-wide self-evaluation ``user`` may read (the engine's rule: its roles by state; a published one
    everyone signed in), with what its pages and its Word table read."""
    return visible_document_or_404(
        user, pk, DepartmentEvaluation.objects.select_related("agency", "fiscal_year", "goals").prefetch_related("rows")
    )


def public_department_or_404(pk):
    """A public department-wide self-evaluation for everyone: published by finance and not waiting for its agency's
    year's publication date."""
    evaluation = (
        DepartmentEvaluation.objects.select_related("agency", "fiscal_year", "goals").prefetch_related("rows")
        .filter(pk=pk, state=SheetState.PUBLISHED).first()
    )
    if evaluation is None or pending_publication(evaluation.agency_id, evaluation.fiscal_year_id) is not None:
        raise Http404("没有找到这份部门整体自评表。")
    return evaluation


def department_published_on(evaluation, today=None):
    """The day a public department-wide self-evaluation became public (finance's approval, or the publication date it
    waited for); None when it is not public."""
    if evaluation.state != SheetState.PUBLISHED or pending_publication(evaluation.agency_id, evaluation.fiscal_year_id, today):
        return None
    approved = timezone.localtime(evaluation.state_since).date() if evaluation.state_since else None
    date = publication_date(evaluation.agency_id, evaluation.fiscal_year_id)
    return max(d for d in (approved, date) if d is not None) if (approved or date) else None


OVERVIEW_AGENCIES, OVERVIEW_YEARS = 20, 3


def overviews(user) -> list[tuple]:
    """(agency, [years]) of the agency views ``user`` may open (its leader's and finance's agencies): the last years
    already over, at most ``OVERVIEW_AGENCIES`` agencies."""
    from projects.models import Agency, FiscalYear

    if not user.is_authenticated:
        return []
    ids = roles.scope_ids(user, roles.Role.LEADER) | roles.scope_ids(user, roles.Role.FINANCE_REVIEWER)
    if not ids:
        return []
    years = list(
        FiscalYear.objects.filter(year__lt=timezone.localdate().year).order_by("-year").values_list("year", flat=True)[:OVERVIEW_YEARS]
    )
    return [(agency, years) for agency in Agency.objects.filter(pk__in=ids).order_by("code")[:OVERVIEW_AGENCIES]] if years else []
