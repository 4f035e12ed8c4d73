"""Does every sheet's approval state agree with itself? Find what disagrees, and repair it with a history entry.

A sheet's approval state lives on its row (``state``, ``assignee``, ``state_since``, ``round_actors``), owned by
``workflow.flow``; its scope keys (``agency``, ``section``) are copies of its project's,
written together by ``projects.services``, and a section always belongs to the agency of the project
and sheet it holds. They can still disagree after raw SQL, a restore of an old backup, or a role
taken away outside the product. ``check_workflow`` (and the deploy system check) lists such sheets;
``--repair`` makes them right again, towards what was recorded and never towards more access:

- a section of another agency is never kept nor adopted (its people could open the sheet): the project
  goes back to the one section of its own agency its sheets still name, or to none (未分配科室) for a
  person to choose in the admin, and its sheets follow the project;
- a state the history does not record goes back to the history's last state (a draft without history):
  an unrecorded publication is withdrawn, never adopted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from projects.models import Project, TargetSheet
from people import roles
from workflow import flow
from workflow.documents import chain_of
from workflow.models import Action, Event


@dataclass(frozen=True)
class Divergence:
    sheet_id: int
    code: str
    message: str

    def __str__(self):
        return f"表 {self.sheet_id}：{self.message}"


CHUNK = 2000  # sheets read at a time by the check (memory bounded by it, not by the province)
REPAIR_BATCH = 200  # sheets repaired per transaction: each batch commits, so row locks are held briefly


def divergences(queryset=None) -> list[Divergence]:
    """Every disagreement (see ``divergences_iter``), as one list."""
    return list(divergences_iter(queryset))


def divergences_iter(queryset=None, *, chunk: int = CHUNK) -> Iterator[Divergence]:
    """Every disagreement, by sheet id, read ``chunk`` sheets at a time (keyset on the id): a fixed number of queries
    per chunk plus one role check per reassigned sheet, and memory bounded by the chunk however many sheets there
    are."""
    for first, last in _id_ranges(queryset, chunk):
        yield from _divergences_in(_sheets(queryset).filter(pk__gte=first, pk__lte=last))


def _sheets(queryset):
    return TargetSheet.documents.all() if queryset is None else queryset  # sheets and their adjustments


def _id_ranges(queryset, size: int) -> Iterator[tuple[int, int]]:
    """(first id, last id) of consecutive runs of ``size`` sheets, one short query each."""
    ids = _sheets(queryset).order_by("pk").values_list("pk", flat=True)
    after = None
    while True:
        page = list((ids if after is None else ids.filter(pk__gt=after))[:size])
        if not page:
            return
        yield page[0], page[-1]
        after = page[-1]


def _divergences_in(sheets) -> list[Divergence]:
    chain = chain_of(TargetSheet)
    found: list[Divergence] = []
    for sheet in sheets.exclude(agency_id=F("project__agency_id")).select_related("project__agency", "agency"):
        found.append(Divergence(sheet.pk, "agency", f"所属单位“{sheet.agency.name}”与项目的单位“{sheet.project.agency.name}”不一致"))
    section_differs = sheets.filter(
        Q(project__section__isnull=True, section__isnull=False)
        | Q(project__section__isnull=False, section__isnull=True)
        | (Q(project__section__isnull=False) & ~Q(section_id=F("project__section_id")))
    )
    for sheet in section_differs.select_related("project__section", "section"):
        found.append(Divergence(
            sheet.pk, "section",
            f"所属科室“{_name(sheet.section)}”与项目的科室“{_name(sheet.project.section)}”不一致",
        ))
    foreign = sheets.filter(
        (Q(section__isnull=False) & ~Q(section__agency_id=F("agency_id")))
        | (Q(project__section__isnull=False) & ~Q(project__section__agency_id=F("project__agency_id")))
    )
    for sheet in foreign.select_related("agency", "section__agency", "project__agency", "project__section__agency"):
        found.append(Divergence(sheet.pk, "section_agency", "；".join(_foreign_sections(sheet))))
    for sheet in sheets.exclude(state__in=chain.states):
        found.append(Divergence(sheet.pk, "state", f"状态“{sheet.state}”不是有效的审批状态"))
    for sheet in sheets.filter(assignee__isnull=False).exclude(state__in=chain.review_states):
        found.append(Divergence(sheet.pk, "assignee_outside_review", f"处于“{chain.label(sheet.state)}”却仍有转办人"))
    for sheet in sheets.filter(assignee__isnull=False, state__in=chain.review_states).select_related("assignee", "section", "agency"):
        step = chain.step_for(sheet.state)
        if not flow.holds(sheet.assignee, step.role, sheet):
            found.append(Divergence(
                sheet.pk, "assignee_without_role",
                f"“{step.label}”转办给的人已不是本范围的{roles.ROLE_LABELS[step.role]}（或已停用）",
            ))
    last_state = Event.objects.filter(sheet=OuterRef("pk")).order_by("-created", "-id").values("to_state")[:1]
    annotated = sheets.annotate(history_state=Subquery(last_state))
    for sheet in annotated.exclude(history_state=F("state")).exclude(history_state__isnull=True):
        found.append(Divergence(
            sheet.pk, "history",
            f"状态“{chain.label(sheet.state)}”与办理记录最后的状态“{chain.label(sheet.history_state)}”不一致",
        ))
    for sheet in annotated.filter(history_state__isnull=True).exclude(state=chain.draft):
        found.append(Divergence(sheet.pk, "history", f"处于“{chain.label(sheet.state)}”却没有任何办理记录"))
    for sheet in sheets.filter(state__in=chain.review_states, state_since__isnull=True):
        found.append(Divergence(sheet.pk, "since", "缺少进入当前步骤的时间"))
    # who may not review a waiting sheet (提交与审核分离); outside the review steps it is not read (and, when a state
    # is repaired, read again from the history)
    in_review = sheets.filter(state__in=chain.review_states)
    expected = rounds_from_history(in_review)
    for pk, stored in in_review.values_list("pk", "round_actors"):
        if stored != expected.get(pk, ""):
            found.append(Divergence(pk, "round", "记录的本轮提交人与审核人与办理记录不一致（提交与审核分离依据办理记录）"))
    return sorted(found, key=lambda d: (d.sheet_id, d.code))


def rounds_from_history(sheets) -> dict[int, str]:
    """``round_actors`` as the history of each of ``sheets`` says it (one query): replayed (``flow.round_replay``)
    from its last submission to the first step — the submitter, the approvers since, a resumed submission keeping
    the approvals of the steps before it, a 撤回 after 通过 taking one back. Sheets never submitted are left out."""
    chain = chain_of(TargetSheet)
    last_start = (
        Event.objects.filter(sheet=OuterRef("sheet_id"), action=Action.SUBMIT, to_state=chain.first.state)
        .order_by("-created", "-id").values("created")[:1]
    )
    rows = (
        Event.objects.filter(sheet__in=sheets.order_by().values("pk"), action__in=flow.ROUND_ACTIONS)
        .filter(created__gte=Subquery(last_start))
        .order_by("sheet_id", "created", "id")
        .values_list("sheet_id", "action", "actor_id", "to_state")
    )
    moves: dict[int, list] = {}
    for sheet_id, *row in rows:
        moves.setdefault(sheet_id, []).append(row)
    return {pk: flow.round_text(flow.round_replay(chain, rows)) for pk, rows in moves.items()}


def _name(section) -> str:
    return section.name if section is not None else "未分配科室"


def _foreign_sections(sheet) -> list[str]:
    said = []
    if sheet.section is not None and sheet.section.agency_id != sheet.agency_id:
        said.append(f"所属科室“{sheet.section.name}”属于其他单位“{sheet.section.agency.name}”，不属于本表的单位“{sheet.agency.name}”")
    project, section = sheet.project, sheet.project.section
    if section is not None and section.agency_id != project.agency_id and section.pk != sheet.section_id:
        said.append(f"项目的科室“{section.name}”属于其他单位“{section.agency.name}”，不属于项目的单位“{project.agency.name}”")
    return said


def _project_section_repair(project_id: int) -> None:
    """A project whose section belongs to another agency goes back to the one section of its own agency that its
    sheets still name, or to none: a person then chooses it in the admin (which offers only the agency's sections)."""
    project = Project.objects.select_for_update(of=("self",)).select_related("section").get(pk=project_id)
    if project.section is None or project.section.agency_id == project.agency_id:
        return
    named = set(
        TargetSheet.documents.filter(project=project, section__agency_id=project.agency_id).values_list("section_id", flat=True)
    )
    project.section_id = named.pop() if len(named) == 1 else None
    project.save(update_fields=["section"])


def divergences_repair(*, by=None, queryset=None, batch: int = REPAIR_BATCH) -> list[Divergence]:
    """Repair every divergence (see ``divergences_repair_batches``); what was found, as one list."""
    return [item for found in divergences_repair_batches(by=by, queryset=queryset, batch=batch) for item in found]


def divergences_repair_batches(*, by=None, queryset=None, batch: int = REPAIR_BATCH) -> Iterator[list[Divergence]]:
    """Repair every divergence, ``batch`` sheets per transaction, each committed before the next is read (yields what
    each batch found once it committed): a province is repaired without holding its rows locked for an hour, and an
    interruption keeps the batches done. Each batch is found again inside its transaction, under the sheets' locks.

    The project's scope wins unless its section belongs to another agency (then the project's own agency's section
    its sheets name, or none), an assignee who lost the role is released, a state the history does not record goes
    back to the history's last state, the round's submitter and approvers are read again from the history. Each
    repaired sheet gets one 系统校正 entry naming what was found and what it was set to."""
    for first, last in _id_ranges(queryset, batch):
        with transaction.atomic():
            found = _divergences_in(_sheets(queryset).filter(pk__gte=first, pk__lte=last))
            _repair(found, by=by)
        if found:
            yield found


def _repair(found: list[Divergence], *, by) -> None:
    from workflow.services import document_lock

    chain = chain_of(TargetSheet)
    by_sheet: dict[int, list[Divergence]] = {}
    for item in found:
        by_sheet.setdefault(item.sheet_id, []).append(item)
    for pk, items in by_sheet.items():
        sheet = document_lock(TargetSheet, pk)
        codes = {d.code for d in items}
        done = []
        previous_state = None
        rescoped = codes & {"agency", "section", "section_agency"}
        if rescoped:
            if "section_agency" in codes:
                _project_section_repair(sheet.project_id)
            sheet.project.refresh_from_db(fields=["agency", "section"])
            unassigned = "section_agency" in codes and sheet.project.section_id is None
            note = "，请在后台为项目指定本单位的科室" if unassigned else ""
            old_section_id = sheet.section_id
            sheet.agency_id = sheet.project.agency_id
            sheet.section_id = sheet.project.section_id
            sheet.save(update_fields=["agency", "section"])
            sheet = document_lock(TargetSheet, pk)
            if sheet.section_id != old_section_id or note:
                done.append(f"科室改为“{_name(sheet.section)}”{note}")
        if codes & {"state", "history"}:  # back to the history's last state (a draft without history), never beyond it
            recorded = sheet.events.filter(to_state__in=chain.states).order_by("-created", "-id").first()
            found_state = sheet.state
            sheet.state = recorded.to_state if recorded else chain.draft
            sheet.state_since = recorded.created if recorded else sheet.created
            previous_state = found_state if found_state in chain.states else sheet.state
            done.append(f"状态恢复为办理记录最后的状态“{chain.label(sheet.state)}”")
        if codes & {"assignee_outside_review", "assignee_without_role", "state", "history"} or (rescoped and sheet.assignee_id):
            step = chain.step_for(sheet.state)
            if sheet.assignee_id and (step is None or not flow.holds(sheet.assignee, step.role, sheet)):
                sheet.assignee = None
        if "since" in codes or sheet.state_since is None:
            last = sheet.events.order_by("-created", "-id").first()
            sheet.state_since = last.created if last else sheet.updated
        if codes & {"round", "state", "history"}:  # who may review this round: as the history says
            in_review = sheet.state in chain.review_states
            sheet.round_actors = rounds_from_history(TargetSheet.documents.filter(pk=pk)).get(pk, "") if in_review else ""
        comment = "系统校正：" + "；".join(d.message for d in items) + "。" + ("".join(f"{d}。" for d in done))
        flow.flow_of(sheet).repair(user=by, comment=comment, previous_state=previous_state)
