"""Does every document's approval state agree with itself? Find what disagrees, and repair it with a history entry.

A document's approval state lives on its row (``state``, ``assignee``, ``state_since``, ``round_actors``), owned by
``workflow.flow``; its scope keys (``agency``, ``section``) may copy another row's (a sheet's copy its project's, see
``projects.scope_integrity``). They can still disagree after raw SQL, a restore of an old backup, or a role taken
away outside the product. ``check_workflow`` (and the deploy system check) lists such documents of every type on the
engine (``workflow.documents.document_types``); ``--repair`` makes them right again, towards what was recorded and
never towards more access:

- scope keys: as the document type says (``approval_scope_divergences``/``approval_scope_repair``, a hook of
  ``projects.approvable.Approvable``);
- a state the history does not record goes back to the history's last state (a draft without history):
  an unrecorded publication is withdrawn, never adopted;
- an assignee who no longer holds the step's role is released; the round's submitter and approvers are read again
  from the history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from people import roles
from workflow import flow
from workflow.documents import chain_of, document_types, documents_of
from workflow.models import Action, Event


@dataclass(frozen=True)
class Divergence:
    model: type  # the document's type
    document_id: int
    code: str
    message: str

    def __str__(self):
        return f"{self.model.approval_label} {self.document_id}：{self.message}"


CHUNK = 2000  # documents read at a time by the check (memory bounded by it, not by the province)
REPAIR_BATCH = 200  # documents repaired per transaction: each batch commits, so row locks are held briefly


def divergences(queryset=None) -> list[Divergence]:
    """Every disagreement (see ``divergences_iter``), as one list."""
    return list(divergences_iter(queryset))


def divergences_iter(queryset=None, *, chunk: int = CHUNK) -> Iterator[Divergence]:
    """Every disagreement of ``queryset``'s documents, or of every document type's, by type then id, read ``chunk``
    documents at a time (keyset on the id): a fixed number of queries per chunk plus one role check per reassigned
    document, and memory bounded by the chunk however many documents there are."""
    for documents in _querysets(queryset):
        for first, last in _id_ranges(documents, chunk):
            yield from _divergences_in(documents.filter(pk__gte=first, pk__lte=last))


def _querysets(queryset):
    """The documents to check: ``queryset``, or each document type's (a sheet's adjustments included)."""
    return [queryset] if queryset is not None else [documents_of(model).all() for model in document_types()]


def _id_ranges(documents, size: int) -> Iterator[tuple[int, int]]:
    """(first id, last id) of consecutive runs of ``size`` documents, one short query each."""
    ids = documents.order_by("pk").values_list("pk", flat=True)
    after = None
    while True:
        page = list((ids if after is None else ids.filter(pk__gt=after))[:size])
        if not page:
            return
        yield page[0], page[-1]
        after = page[-1]


def _divergences_in(documents) -> list[Divergence]:
    model = documents.model
    chain = chain_of(model)
    found = [Divergence(model, pk, code, message) for pk, code, message in model.approval_scope_divergences(documents)]

    def add(pk, code, message):
        found.append(Divergence(model, pk, code, message))

    for document in documents.exclude(state__in=chain.states):
        add(document.pk, "state", f"状态“{document.state}”不是有效的审批状态")
    for document in documents.filter(assignee__isnull=False).exclude(state__in=chain.review_states):
        add(document.pk, "assignee_outside_review", f"处于“{chain.label(document.state)}”却仍有转办人")
    for document in documents.filter(assignee__isnull=False, state__in=chain.review_states).select_related("assignee", "section", "agency"):
        step = chain.step_for(document.state)
        if not flow.holds(document.assignee, step.role, document):
            add(document.pk, "assignee_without_role", f"“{step.label}”转办给的人已不是本范围的{roles.ROLE_LABELS[step.role]}（或已停用）")
    last_state = Event.objects.filter(**{model.history_field: OuterRef("pk")}).order_by("-created", "-id").values("to_state")[:1]
    annotated = documents.annotate(history_state=Subquery(last_state))
    for document in annotated.exclude(history_state=F("state")).exclude(history_state__isnull=True):
        add(document.pk, "history", f"状态“{chain.label(document.state)}”与办理记录最后的状态“{chain.label(document.history_state)}”不一致")
    for document in annotated.filter(history_state__isnull=True).exclude(state=chain.draft):
        add(document.pk, "history", f"处于“{chain.label(document.state)}”却没有任何办理记录")
    for document in documents.filter(state__in=chain.review_states, state_since__isnull=True):
        add(document.pk, "since", "缺少进入当前步骤的时间")
    # who may not review a waiting document (提交与审核分离); outside the review steps it is not read (and, when a state
    # is repaired, read again from the history)
    in_review = documents.filter(state__in=chain.review_states)
    expected = rounds_from_history(in_review)
    for pk, stored in in_review.values_list("pk", "round_actors"):
        if stored != expected.get(pk, ""):
            add(pk, "round", "记录的本轮提交人与审核人与办理记录不一致（提交与审核分离依据办理记录）")
    return sorted(found, key=lambda d: (d.document_id, d.code))


def rounds_from_history(documents) -> dict[int, str]:
    """``round_actors`` as the history of each of ``documents`` (one type's) says it (one query): replayed
    (``flow.round_replay``) from its last submission to the first step — the submitter, the approvers since, a resumed
    submission keeping the approvals of the steps before it, a 撤回 after 通过 taking one back. Documents never
    submitted are left out."""
    model = documents.model
    chain = chain_of(model)
    field = model.history_field
    last_start = (
        Event.objects.filter(**{field: OuterRef(f"{field}_id")}, action=Action.SUBMIT, to_state=chain.first.state)
        .order_by("-created", "-id").values("created")[:1]
    )
    rows = (
        Event.objects.filter(**{f"{field}__in": documents.order_by().values("pk")}, action__in=flow.ROUND_ACTIONS)
        .filter(created__gte=Subquery(last_start))
        .order_by(f"{field}_id", "created", "id")
        .values_list(f"{field}_id", "action", "actor_id", "to_state")
    )
    moves: dict[int, list] = {}
    for pk, *row in rows:
        moves.setdefault(pk, []).append(row)
    return {pk: flow.round_text(flow.round_replay(chain, rows)) for pk, rows in moves.items()}


def divergences_repair(*, by=None, queryset=None, batch: int = REPAIR_BATCH) -> list[Divergence]:
    """Repair every divergence (see ``divergences_repair_batches``); what was found, as one list."""
    return [item for found in divergences_repair_batches(by=by, queryset=queryset, batch=batch) for item in found]


def divergences_repair_batches(*, by=None, queryset=None, batch: int = REPAIR_BATCH) -> Iterator[list[Divergence]]:
    """Repair every divergence, ``batch`` documents per transaction, each committed before the next is read (yields
    what each batch found once it committed): a province is repaired without holding its rows locked for an hour, and
    an interruption keeps the batches done. Each batch is found again inside its transaction, under the documents'
    locks.

    The scope keys go back as the document type says (a sheet's to its project's), an assignee who lost the role is
    released, a state the history does not record goes back to the history's last state, the round's submitter and
    approvers are read again from the history. Each repaired document gets one 系统校正 entry naming what was found
    and what it was set to."""
    for documents in _querysets(queryset):
        for first, last in _id_ranges(documents, batch):
            with transaction.atomic():
                found = _divergences_in(documents.filter(pk__gte=first, pk__lte=last))
                _repair(documents.model, found, by=by)
            if found:
                yield found


def _repair(model, found: list[Divergence], *, by) -> None:
    from workflow.services import document_lock

    chain = chain_of(model)
    by_document: dict[int, list[Divergence]] = {}
    for item in found:
        by_document.setdefault(item.document_id, []).append(item)
    for pk, items in by_document.items():
        document = document_lock(model, pk)
        codes = {d.code for d in items}
        previous_state = None
        done = document.approval_scope_repair(codes)
        rescoped = codes - _ENGINE_CODES
        if rescoped:
            document = document_lock(model, pk)  # read again with the scope keys it now has
        if codes & {"state", "history"}:  # back to the history's last state (a draft without history), never beyond it
            recorded = document.events.filter(to_state__in=chain.states).order_by("-created", "-id").first()
            found_state = document.state
            document.state = recorded.to_state if recorded else chain.draft
            document.state_since = recorded.created if recorded else document.created
            previous_state = found_state if found_state in chain.states else document.state
            done.append(f"状态恢复为办理记录最后的状态“{chain.label(document.state)}”")
        if codes & {"assignee_outside_review", "assignee_without_role", "state", "history"} or (rescoped and document.assignee_id):
            step = chain.step_for(document.state)
            if document.assignee_id and (step is None or not flow.holds(document.assignee, step.role, document)):
                document.assignee = None
        if "since" in codes or document.state_since is None:
            last = document.events.order_by("-created", "-id").first()
            document.state_since = last.created if last else document.updated
        if codes & {"round", "state", "history"}:  # who may review this round: as the history says
            in_review = document.state in chain.review_states
            document.round_actors = rounds_from_history(documents_of(model).filter(pk=pk)).get(pk, "") if in_review else ""
        comment = "系统校正：" + "；".join(d.message for d in items) + "。" + ("".join(f"{d}。" for d in done))
        flow.flow_of(document).repair(user=by, comment=comment, previous_state=previous_state)


# what the engine itself checks; any other code is the document type's (its scope keys)
_ENGINE_CODES = frozenset({"state", "assignee_outside_review", "assignee_without_role", "history", "since", "round"})
