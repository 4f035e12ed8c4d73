"""Reads of the engine: task queues, done lists, history, 常用意见 (the sheet list's filters are ``sheets.selectors``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.utils import timezone

from people import roles
from projects.models import EDITABLE_STATES, Indicator, SpendPlan, TargetSheet
from workdays.days import overrides, workdays_between  # calendar logic; the holiday table read once a page
from workflow import approval
from workflow.models import Action, SavedPhrase, SheetEvent


def review_tasks(user) -> QuerySet:
    """Sheets waiting at a step ``user`` may act on: by state and the indexed section/agency keys, oldest first; not
    those whose round ``user`` submitted or approved a step of (提交与审核分离: a condition on the rows read)."""
    if not user.is_authenticated:
        return TargetSheet.objects.none()
    scope = Q(pk__in=[])
    for step in approval.REVIEW_STEPS:
        if roles.holds_any(user, step.role):
            scope |= Q(state=step.state) & roles.scope_in(user, step.role, f"{step.scope_field}_id")
    return (
        TargetSheet.objects.filter(scope)
        .filter(Q(assignee__isnull=True) | Q(assignee=user))
        .filter(approval.not_acted_this_round(user))
        .select_related("project", "section", "agency", "assignee")
        .order_by("state_since", "id")
    )


# what the checker reads beyond a list row, prefetched for the shown rows only
CHECKER_CONTENT = (
    "fiscal_year__checkpoints",
    Prefetch("plan", queryset=SpendPlan.objects.select_related("checkpoint").order_by("checkpoint__date")),
    Prefetch("indicators", queryset=Indicator.objects.order_by("order", "id")),
)


def verdicts_load(sheets) -> None:
    """Set ``error_count`` and ``warning_count`` on each sheet of a list: the verdict stored with its content; the
    content is read and checked only for rows without one (``TargetSheet.verdict``)."""
    unknown = [sheet for sheet in sheets if not sheet.verdict_known]
    if unknown:
        prefetch_related_objects(unknown, *CHECKER_CONTENT)
    for sheet in sheets:
        sheet.error_count, sheet.warning_count = sheet.verdict()


@dataclass
class TaskCard:
    """One card of 待办: what a reviewer needs to decide without opening the sheet."""

    sheet: TargetSheet
    submitter: object | None
    waited: int  # whole working days at this step
    overdue: bool  # past the 催办 threshold (NUDGE_AFTER_WORKDAYS)
    error_count: int
    warning_count: int

    @property
    def batchable(self) -> bool:
        """Clean for the checker: may be approved in a batch (never one with errors)."""
        return self.error_count == 0

    @property
    def step_label(self) -> str:
        return approval.state_label(self.sheet.state)

    @property
    def publishes(self) -> bool:
        """Approving at this step (the last, 财政审核) publishes the sheet at /public/."""
        return approval.next_state(self.sheet.state) == approval.DONE


def _last_submitter():
    return Subquery(
        SheetEvent.objects.filter(sheet=OuterRef("pk"), action=Action.SUBMIT).order_by("-created", "-id").values("actor_id")[:1]
    )


def task_cards(user, *, limit: int | None = None, now=None) -> list[TaskCard]:
    """``review_tasks`` as 待办 cards: amount, section, submitter, step, working days waited, checker counts.

    A fixed number of queries however many tasks: the sheets with the last submitter's id and their stored checker
    verdicts, the submitters and the holiday table (cached); the content only of sheets without a stored verdict.
    ``limit``: the oldest that many only.
    """
    tasks = review_tasks(user).select_related("fiscal_year").annotate(submitter_id=_last_submitter())
    sheets = list(tasks[:limit] if limit is not None else tasks)
    verdicts_load(sheets)
    ids = {s.submitter_id for s in sheets if s.submitter_id}
    submitters = get_user_model().objects.in_bulk(ids) if ids else {}
    today = timezone.localdate(now or timezone.now())
    after = settings.NUDGE_AFTER_WORKDAYS
    cards = []
    holidays = overrides() if sheets else {}
    for sheet in sheets:
        waited = workdays_between(timezone.localtime(sheet.state_since), today, table=holidays) if sheet.state_since else 0
        cards.append(TaskCard(
            sheet=sheet, submitter=submitters.get(sheet.submitter_id), waited=waited, overdue=waited > after,
            error_count=sheet.error_count, warning_count=sheet.warning_count,
        ))
    return cards


@dataclass
class BatchRow:
    """One ticked sheet of a 批量通过, as its confirmation shows it."""

    sheet: TargetSheet
    publishes: bool  # approving it now publishes it (the last step)
    stale: bool  # changed since 待办 showed it: the batch will refuse it


@dataclass
class BatchPreview:
    rows: list[BatchRow]
    missing: int  # ticked sheets no longer waiting for the user (handled by someone else, or never theirs)

    @property
    def published(self) -> list[BatchRow]:
        return [row for row in self.rows if row.publishes and not row.stale]

    @property
    def passed(self) -> list[BatchRow]:
        return [row for row in self.rows if not row.publishes and not row.stale]

    @property
    def stale(self) -> list[BatchRow]:
        return [row for row in self.rows if row.stale]

    @property
    def published_total(self) -> Decimal:
        return sum((row.sheet.budget_total for row in self.published), Decimal("0.00"))


def batch_preview(user, versions: dict[int, int | None]) -> BatchPreview:
    """What a 批量通过 of ``versions`` ({sheet id: version shown}) would do: which sheets it publishes (with their
    amounts), which go on to the next step, which changed since and will be refused. One query, bounded by the batch."""
    sheets = list(review_tasks(user).filter(pk__in=list(versions)))
    rows = [
        BatchRow(sheet=s, publishes=approval.next_state(s.state) == approval.DONE, stale=versions.get(s.pk) != s.version)
        for s in sheets
    ]
    return BatchPreview(rows=rows, missing=len(versions) - len(rows))


def next_task(user, *, after_pk: int | None = None) -> TargetSheet | None:
    """The first sheet of ``user``'s 待办 (other than ``after_pk``): where a reviewer goes after a decision."""
    queryset = review_tasks(user)
    if after_pk is not None:
        queryset = queryset.exclude(pk=after_pk)
    return queryset.select_related(None).only("pk").first()


def waiting_notes(sheet, user) -> list[str]:
    """Why the sheet's current step is not offered to ``user`` (a hint on its page, for someone who may not review it):
    they took part in this round (提交与审核分离), or nobody may act on it now — every holder of the step's role
    submitted or approved it in this round, or nobody holds the role. Reads the step's reviewers (the role's holders
    once more when there are none)."""
    step = approval.step_for(sheet.state)
    if step is None:
        return []
    notes = []
    if approval.holds(user, step.role, sheet) and approval.acted_this_round(sheet, user):
        notes.append(approval.duties_refusal(sheet, user))
    if not approval.reviewers(sheet):
        role = roles.ROLE_LABELS[step.role]
        scope = "本科室" if roles.is_section_role(step.role) else "本单位"
        why = (
            f"{scope}的{role}都已在本轮提交或审核过这张表（{approval.DUTIES_RULE}）"
            if approval.holders(step.role, sheet) else f"{scope}还没有{role}"
        )
        notes.append(f"“{step.label}”目前没有可以办理的人：{why}。请管理员另行指定一位{role}，这张表会出现在其待办中。")
    return notes


def saved_phrases(user, *, defaults=SavedPhrase.DEFAULTS) -> list[dict]:
    """常用意见: the user's own saved phrases (newest first, with their id), then the ``defaults`` they did not save."""
    own = list(SavedPhrase.objects.filter(user=user).order_by("-created", "-id").values("id", "text")) if user.is_authenticated else []
    texts = {p["text"] for p in own}
    return [{**p, "own": True} for p in own] + [{"id": None, "text": t, "own": False} for t in defaults if t not in texts]


def drafts_to_do(user) -> QuerySet:
    """Drafts and returned sheets of the sections where ``user`` is staff."""
    if not user.is_authenticated:
        return TargetSheet.objects.none()
    return (
        TargetSheet.objects.filter(roles.scope_in(user, approval.AUTHOR_ROLE, "section_id"), state__in=EDITABLE_STATES)
        .select_related("project", "fiscal_year", "section")
        .order_by("-state", "position")
    )


def inbox_count(user, *, cap: int | None = None) -> int:
    """Tasks and drafts waiting for ``user``; with ``cap``, counted up to ``cap`` each (the nav badge's "99+"
    reads at most that many index entries, however many thousand sheets a province's reviewer holds)."""
    if cap is None:
        return review_tasks(user).count() + drafts_to_do(user).count()
    return review_tasks(user).order_by()[:cap].count() + drafts_to_do(user).order_by()[:cap].count()


def done_events(user) -> QuerySet:
    return SheetEvent.objects.filter(actor=user).select_related("sheet__project").order_by("-created")


def sheet_history(sheet) -> QuerySet:
    return sheet.events.select_related("actor", "target_user").order_by("created", "id")
