"""Reads of the approval engine: 待办 and 已办 across the document types, a document's history, 常用意见 (the sheet
list's filters are ``sheets.selectors``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from core.db import CompiledStatements, in_values, prepared_cursor, prepared_statements
from people import roles
from workdays.days import overrides, workdays_between  # calendar logic; the holiday table read once a page
from workflow import flow
from workflow.documents import chain_of, document_types, documents_of
from workflow.models import Action, Event, SavedPhrase


def review_tasks(user, model) -> QuerySet:
    """Documents of ``model`` waiting at a step ``user`` may act on: by state and the indexed section/agency keys,
    oldest first; not those whose round ``user`` submitted or approved a step of (提交与审核分离: a condition on the
    rows read); and those whose 加签 opinion is asked of ``user``."""
    conditions = task_conditions(user, model)
    if not conditions:
        return documents_of(model).none()
    either = conditions[0]
    for condition in conditions[1:]:
        either |= condition
    return _tasks(model, either).order_by("state_since", "id")


def _tasks(model, condition: Q) -> QuerySet:
    return documents_of(model).filter(condition).select_related(*model.approval_related, "assignee")


def deciding_condition(user, *, at=None) -> Q:
    """What every step's task of ``user`` asks of the row besides its step and scope (the same for every document
    type: built once for 待办's read of them all), with the delegations in force at ``at`` (now)."""
    return (
        (Q(assignee__isnull=True) | Q(assignee=user) | Q(assignee_id__in=roles.principal_ids(user, at)))  # 委托: and their principals'
        & flow.not_acted_this_round(user)
        & flow.no_consultation()  # 加签: not while the step waits for someone's opinion
    )


def task_conditions(user, model, *, common: Q | None = None, at=None) -> list[Q]:
    """``review_tasks`` as separate conditions, each read along the (state, state_since, id) index on its own (one per
    step ``user`` may decide, one for the 加签 opinions asked of them): 待办 reads the oldest of each, not every task
    of an OR sorted (a province's finance reviewer holds 25,000). None for a user who may act on nothing of ``model``.
    ``at``: the moment whose delegations count (now)."""
    if not user.is_authenticated:
        return []
    conditions = []
    common = deciding_condition(user, at=at) if common is None else common
    for step in chain_of(model).steps:
        if roles.holds_any(user, step.role):
            conditions.append(
                Q(state=step.state) & roles.scope_in(user, step.role, f"{step.scope_field}_id", at=at)
                & flow.not_for_acted_principals(user, step.role, f"{step.scope_field}_id")  # 委托: 提交与审核分离 for the principal
                & common
            )
    if user.is_active:  # 加签: the opinions asked of them
        conditions.append(Q(consultant=user, state__in=chain_of(model).review_states))
    return conditions


def has_review_tasks(user) -> bool:
    return bool(waiting_ids(user, limit=1))


@dataclass
class TaskCard:
    """One card of 待办: what a reviewer needs to decide without opening the document."""

    document: object
    submitter_name: str | None  # the last submitter's 姓名 (``roles.display_name``), None when nobody submitted it
    waited: int  # whole working days at this step
    overdue: bool  # past the 催办 threshold (NUDGE_AFTER_WORKDAYS)
    error_count: int
    warning_count: int

    @property
    def batchable(self) -> bool:
        """Clean for the content check: may be approved in a batch (never one with errors), if its type is approved in
        batches at all (``approval_batch``, a document hook; true unless it says otherwise)."""
        if self.document.consultant_id:  # 加签: it waits for an opinion, not a decision
            return False
        return self.error_count == 0 and getattr(self.document, "approval_batch", True)

    @property
    def shows_funds(self) -> bool:
        """The card shows the document's funds (a document with 预算数 and its split)."""
        return hasattr(self.document, "fiscal_funds")

    @property
    def step_label(self) -> str:
        label = chain_of(self.document).label(self.document.state)
        return f"{label} · 加签意见" if self.document.consultant_id else label  # 加签: an opinion is asked

    @property
    def publishes(self) -> bool:
        """Approving at this step (the last, 财政审核) ends the chain (publishes a sheet at /public/)."""
        return chain_of(self.document).publishes(self.document.state)


@dataclass(frozen=True)
class Holding:
    """Who holds a document's current step, by name, and since when (the step bar, the phone summary, 待办)."""

    step: str  # the step's name
    names: tuple[str, ...]  # 姓名 in Chinese order: the assignee once reassigned, else the role's holders who may act
    since: object  # when the document reached the step (``state_since``)

    @property
    def text(self) -> str:
        return "、".join(self.names) if self.names else "暂无可办理的人"


def holder_name(holder) -> str:
    """A holder (``roles.Holder``) by name; a delegate as 刘洋（代张建国） (委托)."""
    name = holder.name or holder.username
    return f"{name}（代{holder.on_behalf}）" if holder.on_behalf else name


def holdings_attach(documents) -> None:
    """Set ``holding`` (a ``Holding``, or None outside the review steps) on each of ``documents`` (any types): two
    reads however many documents — the assignees, and the holders of every (role, scope) involved."""
    documents = list(documents)
    wanted: dict[str, set[int]] = {}
    assignee_ids = set()
    for document in documents:
        step = chain_of(document).step_for(document.state)
        if step is None:
            continue
        if document.consultant_id:  # 加签
            assignee_ids.add(document.consultant_id)
        elif document.assignee_id:
            assignee_ids.add(document.assignee_id)
        else:
            scope_id = getattr(document, f"{step.scope_field}_id")
            if scope_id is not None:
                wanted.setdefault(step.role, set()).add(scope_id)
    by_scope = roles.holders_by_scope(wanted, compiled_once=True) if wanted else {}  # a page's few scopes
    assignees = get_user_model().objects.filter(is_active=True).in_bulk(assignee_ids) if assignee_ids else {}
    for document in documents:
        step = chain_of(document).step_for(document.state)
        if step is None:
            document.holding = None
            continue
        acted = set(flow.round_ids(document.round_actors))  # 提交与审核分离: they may not act on it
        consultant = assignees.get(document.consultant_id) if document.consultant_id else None
        if consultant is not None:  # 加签: the step waits for this person's opinion
            names = (f"{roles.display_name(consultant)}（加签）",)
        elif document.assignee_id:
            assignee = assignees.get(document.assignee_id)
            names = (roles.display_name(assignee),) if assignee is not None else ()
        else:
            holders = by_scope.get((step.role, getattr(document, f"{step.scope_field}_id")), [])
            names = tuple(holder_name(h) for h in holders if h.pk not in acted and h.principal not in acted)
        document.holding = Holding(step.label, names, document.state_since)


# ---------------------------------------------------------------- search (待办, 已办, 通知)

SEARCH_MAX_LENGTH = 100
SEARCH_PEOPLE_MAX = 50  # people a search names at most (a province has 100,000: a name matches a handful)


def search_text(value) -> str:
    """A search box's text, trimmed and capped ("" for none)."""
    return (value or "").strip()[:SEARCH_MAX_LENGTH]


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def people_matching(text: str) -> list[int]:
    """Ids of the people whose 姓名 (family name then given name) contains ``text``, or whose user name is ``text``:
    at most ``SEARCH_PEOPLE_MAX``. The name is read through the trigram index of people 0002 on PostgreSQL."""
    User = get_user_model()
    table = User._meta.db_table
    named = User.objects.extra(
        where=[f"""UPPER("{table}"."last_name" || "{table}"."first_name") LIKE UPPER(%s) ESCAPE '\\'"""], params=[_like(text)],
    )
    ids = list(named.order_by("pk").values_list("pk", flat=True)[:SEARCH_PEOPLE_MAX])
    ids += [pk for pk in User.objects.filter(username__iexact=text).values_list("pk", flat=True) if pk not in ids]
    return ids


def _nothing() -> Q:
    return Q(pk__in=[])


def document_search(model, text: str, *, prefix: str = "") -> Q:
    """The documents of ``model`` whose search fields (``approval_search_fields``: for a sheet its project's name and
    code) contain ``text``; ``prefix``: the path to the document from the rows filtered ("sheet__")."""
    condition = _nothing()
    for field in getattr(model, "approval_search_fields", ()):
        condition |= Q(**{f"{prefix}{field}__icontains": text})
    return condition


def task_search(model, text: str, people: list[int]) -> Q:
    """待办's search: the document's name or code, or a person of its round (its submitter, the approvers so far) or
    its assignee."""
    condition = document_search(model, text)
    for pk in people:
        condition |= Q(round_actors__contains=f",{pk},")
    if people:
        condition |= Q(assignee_id__in=people)
    return condition


def done_search(text: str, people: list[int]) -> Q:
    """已办's search (on the user's own history entries): the document's name or code, the person a step was
    reassigned to, or a person who acted on the same document."""
    condition = _nothing()
    for model in document_types():
        field = model.history_field
        condition |= document_search(model, text, prefix=f"{field}__")
        if people:
            others = Event.objects.filter(**{f"{field}_id": OuterRef(f"{field}_id")}, actor_id__in=people)
            condition |= Q(Exists(others))
    if people:
        condition |= Q(target_user_id__in=people)
    return condition


@functools.cache
def _last_submitter_name(model):
    """The last submitter of each document by name (``roles.display_name``: 姓名, else the username), read with the
    documents: no read of the people afterwards. Built once per worker and type (``annotate`` resolves a copy)."""
    name = Coalesce(NullIf(Trim(Concat("actor__last_name", "actor__first_name", output_field=CharField())), Value("")), "actor__username")
    return Subquery(
        Event.objects.filter(**{model.history_field: OuterRef("pk")}, action=Action.SUBMIT)
        .order_by("-created", "-id").annotate(name=name).values("name")[:1]
    )


def _waiting_order(document):
    return (document.state_since is None, document.state_since or timezone.now(), document.pk)


WAITING_ORDER = (F("state_since").asc(nulls_last=True), "id")


def waiting_ids(user, *, limit: int, search: str = "", people=(), exclude=None) -> list[tuple[type, int]]:
    """The oldest ``limit`` documents waiting for ``user`` across every document type, as ``(model, id)`` in 待办's
    order (longest waiting first; never reached a step last): one statement, a ``UNION ALL`` of each type's
    ``task_conditions`` (a type none of whose steps the user holds adds only the 加签 asked of them). ``search``/``people``: 待办's search
    (``task_search``); ``exclude``: a document left out (the one just decided). Without either, the statement is
    built once per worker for the user's roles (``role_statements``)."""
    types = document_types()

    at = timezone.now()

    def build():
        try:
            return _waiting(user, types, limit=limit, search=search, people=people, exclude=exclude, at=at).query.sql_with_params()
        except EmptyResultSet:
            return None

    if search or exclude is not None:
        statement, cursor = build(), connection.cursor
    else:
        statement = role_statements.get(("waiting", roles.summary_key(user), limit), bound={"at": at}, build=build)
        cursor = prepared_cursor  # the same text on every visit: planned once
    if statement is None:
        return []
    with cursor() as cursor:
        cursor.execute(*statement)
        return [(types[index], pk) for index, pk, _since in cursor.fetchall()]


def _waiting(user, types, *, limit: int, search: str, people, exclude, at) -> QuerySet:
    parts = []
    sliced = connection.features.supports_slicing_ordering_in_compound
    common = deciding_condition(user, at=at) if user.is_authenticated else None
    for index, model in enumerate(types):
        for condition in task_conditions(user, model, common=common, at=at):
            tasks = documents_of(model).filter(condition)
            if search:
                tasks = tasks.filter(task_search(model, search, people))
            if exclude is not None and isinstance(exclude, model):
                tasks = tasks.exclude(pk=exclude.pk)
            part = tasks.annotate(document_type=Value(index)).values_list("document_type", "id", "state_since")
            # each part its own oldest ``limit`` where the database allows it: read along the (state, state_since)
            # index and stop, instead of sorting a province's 25,000 tasks (SQLite, a county's laptop, sorts them all)
            parts.append(part.order_by(*WAITING_ORDER)[:limit] if sliced else part.order_by())
    if not parts:
        raise EmptyResultSet
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return union.order_by(*WAITING_ORDER)[:limit]


def task_cards(user, *, limit: int | None = None, now=None, search: str = "", waiting=None) -> list[TaskCard]:
    """``review_tasks`` of every document type as 待办 cards, the oldest waiting first: amount, section, submitter,
    step, working days waited, checker counts.

    A fixed number of queries however many tasks: which documents (one statement across the types, ``waiting_ids``),
    then each type's documents shown with the last submitter's name and their content check's verdicts (only the types
    present; one decided since drops out), then who holds each step (``holdings_attach``) and the holiday table
    (cached) once. ``limit``: the oldest that many only.
    ``search``: those whose name or code, or a person of whose round, matches (``task_search``). ``waiting``: the
    ``(model, id)`` pairs already read by the caller (待办 reads a few more for its badge).
    """
    if waiting is None:
        people = people_matching(search) if search else []
        waiting = waiting_ids(user, limit=limit if limit is not None else 2**62, search=search, people=people)
    if limit is not None:
        waiting = waiting[:limit]
    by_type: dict[type, list[int]] = {}
    for model, pk in waiting:
        by_type.setdefault(model, []).append(pk)
    found = {}
    for model, ids in by_type.items():
        # the documents ``waiting`` names, still under review (one decided in between, e.g. published, drops out): not
        # ``review_tasks`` again, whose conditions cost more to build than the read
        shown = _tasks(model, Q(pk__in=in_values(ids, "int"), state__in=chain_of(model).review_states))
        with prepared_statements():  # its text the same on every visit (the ids one array): planned once per connection
            documents = list(shown.annotate(submitter_name=_last_submitter_name(model)))
        model.approval_verdicts(documents)
        found.update(((model, d.pk), d) for d in documents)
    documents = [found[key] for key in waiting if key in found]  # one taken by someone else in between drops out
    today = timezone.localdate(now or timezone.now())
    after = settings.NUDGE_AFTER_WORKDAYS
    holdings_attach(documents)  # who holds each step, by name: two reads for all of them
    cards = []
    holidays = overrides() if documents else {}
    for document in documents:
        waited = workdays_between(timezone.localtime(document.state_since), today, table=holidays) if document.state_since else 0
        cards.append(TaskCard(
            document=document, submitter_name=document.submitter_name, waited=waited, overdue=waited > after,
            error_count=document.error_count, warning_count=document.warning_count,
        ))
    return cards


@dataclass
class BatchRow:
    """One ticked document of a 批量通过, as its confirmation shows it."""

    document: object
    publishes: bool  # approving it now ends the chain (publishes it: the last step)
    stale: bool  # changed since 待办 showed it: the batch will refuse it


@dataclass
class BatchPreview:
    rows: list[BatchRow]
    missing: int  # ticked documents no longer waiting for the user (handled by someone else, or never theirs)

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
        return sum((row.document.budget_total for row in self.published), Decimal("0.00"))


def batch_preview(user, model, versions: dict[int, int | None]) -> BatchPreview:
    """What a 批量通过 of ``versions`` ({document id: version shown}) of ``model`` would do: which documents it ends
    the chain of, which go on to the next step, which changed since and will be refused. One query, bounded by the
    batch."""
    chain = chain_of(model)
    documents = list(review_tasks(user, model).filter(pk__in=list(versions)))
    rows = [BatchRow(document=d, publishes=chain.publishes(d.state), stale=versions.get(d.pk) != d.version) for d in documents]
    return BatchPreview(rows=rows, missing=len(versions) - len(rows))


def next_task(user, *, after=None):
    """The first document of ``user``'s 待办 (other than ``after``, a document): where a reviewer goes after a
    decision. One statement across the document types."""
    first = waiting_ids(user, limit=1, exclude=after)
    if not first:
        return None
    model, pk = first[0]
    return documents_of(model).only("pk", "state_since").filter(pk=pk).first()


def waiting_notes(document, user) -> list[str]:
    """Why the document's current step is not offered to ``user`` (a hint on its page, for someone who may not review
    it): they took part in this round (提交与审核分离), or nobody may act on it now — every holder of the step's role
    submitted or approved it in this round, or nobody holds the role. Reads the step's reviewers (the role's holders
    once more when there are none)."""
    step = chain_of(document).step_for(document.state)
    if step is None:
        return []
    notes = []
    if flow.holds(user, step.role, document) and flow.acted_this_round(document, user):
        notes.append(flow.duties_refusal(document, user))
    if not flow.reviewers(document):
        role = roles.ROLE_LABELS[step.role]
        scope = "本科室" if roles.is_section_role(step.role) else "本单位"
        why = (
            f"{scope}的{role}都已在本轮提交或审核过{document.approval_this}（{flow.DUTIES_RULE}）"
            if flow.holders(step.role, document) else f"{scope}还没有{role}"
        )
        notes.append(f"“{step.label}”目前没有可以办理的人：{why}。请管理员另行指定一位{role}，{document.approval_this}会出现在其待办中。")
    return notes


def drafts_to_do(user, model, *, at=None) -> QuerySet:
    """Documents of ``model`` in a drafting state (draft, returned) of the scopes where ``user`` is their author (with
    the delegations in force at ``at``, now)."""
    chain = chain_of(model)
    if not user.is_authenticated or not roles.holds_any(user, chain.author):
        return documents_of(model).none()
    field = "section_id" if roles.is_section_role(chain.author) else "agency_id"
    return documents_of(model).filter(roles.scope_in(user, chain.author, field, at=at), state__in=chain.drafting)


BADGE_MAX = 99  # the nav badges show "99+" beyond this


def inbox_count(user, *, cap: int) -> int:
    """Tasks and drafts waiting for ``user``, of every document type, counted up to ``cap`` (the nav badge's "99+"
    reads at most that many rows, however many thousand sheets a province's reviewer holds): one statement
    (``inbox_count_statement``)."""
    statement = inbox_count_statement(user, cap=cap)
    if statement is None:
        return 0
    with prepared_cursor() as cursor:
        cursor.execute(*statement)
        return cursor.fetchone()[0]


def inbox_count_statement(user, *, cap: int) -> tuple[str, list] | None:
    """``inbox_count``'s statement and its parameters (built once per worker for the user's roles:
    ``role_statements``), or None when nothing can be waiting for ``user``: the nav reads it with its other counts in
    one round trip (``notifications.selectors.nav_counts``)."""
    if not user.is_authenticated:
        return None
    at = timezone.now()
    return role_statements.get(
        ("badge", roles.summary_key(user), cap), bound={"at": at},
        build=lambda: capped_count_sql(_badge_parts(user, at=at, cap=cap), cap=cap),
    )


def _badge_parts(user, *, at, cap: int) -> list[QuerySet]:
    common = deciding_condition(user, at=at)
    parts = []
    for model in document_types():
        # each condition on its own (they are disjoint: a step's state, or the opinions asked), read along its index
        # as 待办 reads them; a type the user may neither act on nor draft adds nothing
        parts += [
            # read along the (state, state_since, id) index and stop at the cap, as 待办 reads them: unordered, the
            # planner gathers every row of the state first (a bitmap of a province's 25,000 waiting at 财政审核)
            documents_of(model).filter(condition).order_by(*WAITING_ORDER)[:cap]
            for condition in task_conditions(user, model, common=common, at=at)
        ]
        drafts = drafts_to_do(user, model, at=at)
        if not drafts.query.is_empty():
            parts.append(drafts)
    return parts


# The statements made from a user's roles, kept per worker: the nav badge's count and 待办's read. Such a statement is
# a function of ``roles.summary_key`` (the user, and the scopes of each role read this request, delegations included),
# its own arguments and the moment whose delegations count: building it from the conditions (ten-odd querysets,
# compiled) cost 5–12 ms a page, running it under a millisecond. Kept with the moment its only parameter.
role_statements = CompiledStatements(size=512)


def capped_count_sql(querysets, *, cap: int) -> tuple[str, list] | None:
    """One statement counting the rows of ``querysets`` together up to ``cap`` (``SELECT COUNT(*) FROM (… UNION ALL …
    LIMIT cap)``: the database reads each in turn and stops at the cap, however many rows are there), and its
    parameters; None when every one is empty by its conditions."""
    parts, params = [], []
    for queryset in querysets:
        if not queryset.query.is_sliced:  # a sliced one keeps its order: it reads its first rows along an index
            queryset = queryset.order_by()
        try:
            sql, part_params = queryset.values("pk").query.sql_with_params()
        except EmptyResultSet:
            continue
        parts.append(f"SELECT pk FROM ({sql}) part_{len(parts)}")
        params.extend(part_params)
    if not parts:
        return None
    return f"SELECT COUNT(*) FROM ({' UNION ALL '.join(parts)} LIMIT {int(cap)}) capped", params


def done_events(user, *, search: str = "") -> QuerySet:
    """已办: what ``user`` did, newest first (one indexed read: event_actor_created), with each document's title;
    ``search``: on the document's name or code, or the people of it (``done_search``)."""
    related = [f"{m.history_field}__{name}" for m in document_types() for name in m.approval_title_related]
    events = Event.objects.filter(actor=user).select_related(*related).order_by("-created")
    return events.filter(done_search(search, people_matching(search))) if search else events


def document_history(document) -> QuerySet:
    return document.events.select_related("actor", "target_user", "on_behalf_of").order_by("created", "id")


def saved_phrases(user, *, defaults=SavedPhrase.DEFAULTS) -> list[dict]:
    """常用意见: the user's own saved phrases (newest first, with their id), then the ``defaults`` they did not save."""
    own = list(SavedPhrase.objects.filter(user=user).order_by("-created", "-id").values("id", "text")) if user.is_authenticated else []
    texts = {p["text"] for p in own}
    return [{**p, "own": True} for p in own] + [{"id": None, "text": t, "own": False} for t in defaults if t not in texts]
