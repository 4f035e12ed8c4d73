"""The moves of any document on the approval engine (a target sheet's edits are ``sheets.services``), and 常用意见.

Each move runs the document's ``workflow.flow.ApprovalFlow`` in one transaction under the document's row lock: a move
the state does not allow is refused with 409, one the person may not make with 403, a move based on a version someone
else has since changed with 409 (``已由他人处理``). Browser views, the REST API and WeCom callbacks all call these.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from viewflow.fsm import TransitionConditionsUnmet

from core import errors
from core.db import prepared_statements
from people import roles
from people.roles import display_name
from projects import validation
from workflow import flow, permissions
from workflow.documents import chain_of, document_types, documents_of
from workflow.models import Event, SavedPhrase
from workflow.steps import VERBS

DUTIES_CODE = "separation_of_duties"  # the refusal of a review by 提交与审核分离 (WeCom answers it in its own words)


def _changed_by(document) -> str:
    who = display_name(document.updated_by) if document.updated_by_id else "他人"
    return f"{who}于 {timezone.localtime(document.updated):%Y-%m-%d %H:%M}"


def _state_label(document) -> str:
    return chain_of(document).label(document.state)


def documents_locked(model) -> QuerySet:
    """Documents of ``model`` read under a row lock (inside a transaction): writes on one document run one after
    another.

    FOR NO KEY UPDATE (as every lock on a document): rows that only refer to the document — the notifications the
    worker writes after a move — do not wait for it, so the worker never waits for a move while holding what a move
    waits for.

    With what every move reads (``approval_related``: the notifications name the project, agency and section). The
    assignee and the last editor are read only when needed (a reassigned step, a refusal's message): two more joins
    of auth_user doubled PostgreSQL's planning and the read's time on every move."""
    return documents_of(model).select_for_update(of=("self",), no_key=True).select_related(*model.approval_related)


def document_lock(model, pk: int):
    """The document under a row lock: writes on one document run one after another."""
    with prepared_statements():  # the same statement on every move: planned once per connection
        return documents_locked(model).get(pk=pk)


def _locked_here(document) -> bool:
    """Did the caller read ``document`` from ``documents_locked`` in the transaction still open? (The API reads it so
    once, for the permission check and the move; the move then needs neither a second read nor a savepoint.)"""
    connection = transaction.get_connection()
    return connection.in_atomic_block and getattr(document, "_locked_in", None) is connection.atomic_blocks[0]


def mark_locked(document):
    """Say that ``document`` was read from ``documents_locked`` in the caller's open transaction (``_perform`` reuses
    it)."""
    connection = transaction.get_connection()
    document._locked_in = connection.atomic_blocks[0] if connection.in_atomic_block else None  # this transaction
    return document


def _refresh_caller(document, locked) -> None:
    """The caller's ``document`` takes the approval fields of the ``locked`` row the move wrote (nothing to do when the
    caller passed the locked row itself: its related objects, e.g. a new assignee, are already the right ones)."""
    if document is locked:
        return
    for name in ("state", "state_since", "assignee_id", "version", "updated_by_id", "updated", "section_id", "agency_id"):
        setattr(document, name, getattr(locked, name))
    for cached in ("assignee", "updated_by"):
        document._state.fields_cache.pop(cached, None)


def _perform(name: str, *, document, user, expected_version: int | None = None, **kwargs) -> Event:
    prelocked = _locked_here(document)
    with transaction.atomic(savepoint=not prelocked):  # a refusal rolls the API's whole transaction back
        locked = document if prelocked else document_lock(type(document), document.pk)
        if expected_version is not None and locked.version != expected_version:
            raise errors.conflict(
                f"{locked.approval_this}已由{_changed_by(locked)}处理或修改，当前状态为“{_state_label(locked)}”，请刷新页面后再操作。"
            )
        if expected_version is None and locked.state != document.state:
            raise errors.conflict(f"{locked.approval_this}已由他人处理，当前状态为“{_state_label(locked)}”，请刷新页面后再操作。")
        machine = flow.flow_of(locked)
        transition = getattr(machine, name)
        if not transition.can_proceed(check_conditions=False):
            raise _illegal(name, locked, user)
        if not transition.has_perm(user):
            raise _refusal(name, locked, user)
        if name == "submit" and machine.needs_revision_note() and not (kwargs.get("comment") or "").strip():
            raise errors.invalid(flow.REVISION_NOTE_REQUIRED)
        try:
            transition(user=user, **kwargs)
        except TransitionConditionsUnmet as exc:
            raise errors.invalid(exc.unmet_message or "条件不满足，不能办理。") from exc
    _refresh_caller(document, locked)
    return machine.event


def _illegal(name: str, document, user) -> errors.AppError:
    chain, this = chain_of(document), document.approval_this
    verb = VERBS.get(name, "办理")
    if name == "withdraw":
        if document.state in chain.drafting:
            return errors.conflict(f"{this}尚未提交。")
        return errors.conflict(f"{roles.ROLE_LABELS[chain.first.role]}已处理，不能再撤回。")
    if name == "submit":
        return errors.conflict(f"{this}处于“{_state_label(document)}”状态，不能{verb}。")
    if name == "urge":
        return errors.conflict(f"{this}处于“{_state_label(document)}”状态，没有等待审核的步骤，无需催办。")
    if name == "revoke":
        return errors.conflict(f"{this}处于“{_state_label(document)}”状态，没有可以撤回的通过。")
    return errors.conflict(f"{this}处于“{_state_label(document)}”状态，没有待审核的步骤（可能已由他人处理）。")


def _scope_word(role: str) -> str:
    return "本科室" if roles.is_section_role(role) else "本单位"


def _refusal(name: str, document, user) -> errors.AppError:
    """Why ``user`` may not make this move: 403, or 409 when it is the step they held that someone else already handled."""
    chain = chain_of(document)
    if name == "submit":
        author = roles.ROLE_LABELS[chain.author]
        return errors.forbidden(f"只有{_scope_word(chain.author)}{author}可以提交这{document.approval_measure}{document.approval_label}。")
    if name == "urge":
        author = roles.ROLE_LABELS[chain.author]
        return errors.forbidden(f"只有{_scope_word(chain.author)}{author}可以催办这{document.approval_measure}{document.approval_label}。")
    if name == "cc":
        return errors.forbidden(f"只有{document.approval_label}的经办人或当前环节的审核人可以抄送。")
    if name == "opinion":
        if document.consultant_id is None:
            return errors.conflict(f"{document.approval_this}没有等待加签意见。")
        return errors.forbidden("只有加签人可以提出加签意见。")
    waiting = flow.consulted(document) if chain.step_for(document.state) is not None else None
    if waiting is not None and waiting.pk != user.pk:
        return errors.conflict(f"{document.approval_this}正在等待{display_name(waiting)}的加签意见，收到意见后再办理。", code="consulting")
    if name == "revoke":
        return _revoke_refusal(document, user)
    if name == "withdraw":
        if document.assignee_id is not None and flow.holds(user, chain.author, document):
            return errors.conflict(f"{roles.ROLE_LABELS[chain.first.role]}已处理（已转办），不能再撤回。")
        return errors.forbidden("只有提交人可以撤回。")
    step = chain.step_for(document.state)
    if step is not None and flow.holds(user, step.role, document) and document.assignee_id not in (None, user.pk):
        return errors.forbidden(f"此任务已转办给 {display_name(document.assignee)}。")
    duties = flow.duties_refusal(document, user) if step is not None and flow.holds(user, step.role, document) else None
    if duties is not None:
        return errors.AppError(duties, status=403, code=DUTIES_CODE)
    earlier = chain.earlier_steps(step) if step is not None else ()
    if any(flow.holds(user, other.role, document) for other in earlier):
        # a reviewer of an earlier step: the step they came for has been handled meanwhile
        return errors.conflict(f"{document.approval_this}已由他人处理，当前状态为“{_state_label(document)}”，请刷新页面后再操作。")
    return errors.forbidden("您无权审核这一步。")


def _revoke_refusal(document, user) -> errors.AppError:
    chain = chain_of(document)
    if user is None or not user.is_authenticated:
        return errors.forbidden("请先登录。")
    if document.state == chain.done:
        if flow.holds(user, chain.steps[-1].role, document):
            return errors.AppError(f"您本轮已提交或审核过{document.approval_this}，不能撤回公开后再审核（{flow.DUTIES_RULE}）。", status=403, code=DUTIES_CODE)
        return errors.forbidden(f"只有{roles.ROLE_LABELS[chain.steps[-1].role]}可以撤回公开。")
    ids = flow.round_ids(document.round_actors)
    if user.pk in ids[1:]:  # they approved a step of this round: a later step has acted since (or it was reassigned)
        passed = chain.steps[ids.index(user.pk) - 1].label
        return errors.conflict(f"您在“{passed}”的通过之后，下一环节已办理（或已转办），不能再撤回通过。")
    return errors.forbidden("只有通过上一环节的人可以撤回通过。")


# ---------------------------------------------------------------- the moves


def document_submit(*, document, user, comment: str = "", expected_version: int | None = None) -> Event:
    return _perform("submit", document=document, user=user, comment=comment, expected_version=expected_version)


def document_withdraw(*, document, user, comment: str = "", expected_version: int | None = None) -> Event:
    return _perform("withdraw", document=document, user=user, comment=comment, expected_version=expected_version)


def document_approve(*, document, user, comment: str = "", expected_version: int | None = None) -> Event:
    return _perform("approve", document=document, user=user, comment=comment, expected_version=expected_version)


def document_return(*, document, user, comment: str, resume: str | None = None, expected_version: int | None = None) -> Event:
    """退回修改; ``resume``: ``here`` (the resubmission comes straight back to this step, the steps passed keep their
    approvals) or ``start`` (through the chain again); None: straight back from the last step only."""
    return _perform(
        "return_for_revision", document=document, user=user, comment=comment, resume=resume, expected_version=expected_version
    )


def document_revoke(*, document, user, comment: str = "", expected_version: int | None = None) -> Event:
    """撤回 after 通过: the approver takes their approval back while the next step has not acted (the document returns
    to their step); a finance reviewer takes a publication back the working day it was made, with a reason."""
    return _perform("revoke", document=document, user=user, comment=comment, expected_version=expected_version)


def document_urge(*, document, user, comment: str = "") -> Event:
    """催办 by a drafter: whoever holds the step is notified (WeCom card included); once per step and working day
    (429). It changes nothing of the document (its version stays: the reviewer's open page is still current)."""
    return _perform("urge", document=document, user=user, comment=comment)


def document_cc(*, document, user, to_users, comment: str = "") -> list[Event]:
    """抄送: copy the document to each of ``to_users`` (people of its agency or its 财政审核人), by a drafter or whoever
    may decide its current step: one history entry and one notification each; they may read it from then on, nothing
    more. All or none: one refused person refuses the whole copy. The document's version stays."""
    if not to_users:
        raise errors.invalid("请选择抄送对象。")
    with transaction.atomic():
        return [_perform("cc", document=document, user=user, to_user=to_user, comment=comment) for to_user in to_users]


def document_consult(*, document, user, to_user, when: str = "before", comment: str, expected_version: int | None = None) -> Event:
    """加签: whoever may decide the step asks ``to_user`` (who may see the document) — ``before`` deciding (the step waits
    for the opinion, then comes back to them) or ``after`` approving (their approval is recorded; the next step waits
    for this extra approval). Returns the 加签 entry (after: recorded right after the approval)."""
    return _perform("consult", document=document, user=user, to_user=to_user, when=when, comment=comment,
                    expected_version=expected_version)


def document_opinion(*, document, user, agree: bool, comment: str, expected_version: int | None = None) -> Event:
    """The person asked (加签) answers: 同意 or 不同意, with their opinion. Before: the step goes back to the reviewer who
    asked. After: agreed, the next step's holders act; disagreed, the reviewer's approval is taken back and the step
    is theirs again."""
    return _perform("opinion", document=document, user=user, agree=agree, comment=comment, expected_version=expected_version)


def task_reassign(*, document, user, to_user, comment: str, expected_version: int | None = None) -> Event:
    return _perform("reassign", document=document, user=user, to_user=to_user, comment=comment, expected_version=expected_version)


@dataclass
class BatchOutcome:
    approved: list  # the Events recorded, one per document
    refused: list  # (document title or id, Chinese reason), one per document not approved


def documents_approve_batch(*, user, model, versions: dict[int, int | None], comment: str = "") -> BatchOutcome:
    """批量通过: approve each document of ``model`` on the version the page showed, one separate move (and Event)
    per document.

    ``versions``: {document id: version shown}. A document that changed since (stale), that the user may not see or
    review, or whose content check finds an error (never approved in a batch) is refused and reported by name; the
    others go through. Each approval is its own transaction: one refusal does not undo the others.
    """
    outcome = BatchOutcome(approved=[], refused=[])
    label = model.approval_label
    queryset = documents_of(model).select_related(*model.approval_related)
    visible = {d.pk: d for d in permissions.visible_documents(user, queryset).filter(pk__in=list(versions))}
    for pk, version in versions.items():
        document = visible.get(pk)
        if document is None:
            outcome.refused.append((f"编号 {pk}", f"没有找到这{model.approval_measure}{label}，或您无权查看。"))
            continue
        if version is None:
            outcome.refused.append((document.display_title, "缺少页面显示时的版本号，请刷新待办后再批量通过。"))
            continue
        if document.approval_errors():
            outcome.refused.append((document.display_title, f"体检发现错误，不能批量通过，请打开{document.approval_this}逐一审核。"))
            continue
        try:
            outcome.approved.append(document_approve(document=document, user=user, comment=comment, expected_version=version))
        except errors.AppError as error:
            outcome.refused.append((document.display_title, error.message))
    return outcome


def withdraw_refusal(document, user) -> errors.AppError | None:
    """Why ``user`` may not withdraw the document now, or None (for showing the 撤回 button)."""
    machine = flow.flow_of(document)
    if not machine.withdraw.can_proceed(check_conditions=False):
        return _illegal("withdraw", document, user)
    if not machine.withdraw.has_perm(user):
        return _refusal("withdraw", document, user)
    return None


def may(document, user, name: str) -> bool:
    """May ``user`` make the move ``name`` on the document now (for showing its button)?"""
    transition = getattr(flow.flow_of(document), name)
    return transition.can_proceed(check_conditions=False) and transition.has_perm(user)


def return_resume_default(document) -> str | None:
    """The 退回修改 form's choice as first shown: None at the first step (nothing to keep), else the chain's default."""
    chain = chain_of(document)
    if document.state not in chain.review_states or document.state == chain.first.state:
        return None
    return flow.flow_of(document).resume_of(document.state, None)


def reassign_candidates(document, user) -> list:
    """Users who hold the current step's role on the same scope, other than ``user`` and those who may not review the
    document in this round (提交与审核分离)."""
    step = chain_of(document).step_for(document.state)
    if step is None:
        return []
    scope = flow.scope_of(document, step.role)
    return [
        u for u in flow.holders(step.role, document)
        if u.pk != user.pk and not flow.acted_this_round(document, u)
        and roles.acting_for(u, step.role, scope) is None  # a delegate only: the task would outlive the delegation
    ]


@transaction.atomic
def assignments_release(*, user, role: str, scope, by=None) -> int:
    """``user`` no longer holds ``role`` on ``scope``: the steps reassigned to them there go back to the step's holders
    (of every document type)."""
    released = 0
    key = "section" if roles.is_section_role(role) else "agency"
    for model in document_types():
        states = [s.state for s in chain_of(model).steps if s.role == role]
        if not states:
            continue
        pks = list(documents_of(model).filter(assignee=user, state__in=states, **{f"{key}_id": scope.pk}).values_list("pk", flat=True))
        for pk in pks:
            flow.flow_of(document_lock(model, pk)).release(
                user=by, comment=f"{display_name(user)}不再担任“{roles.ROLE_LABELS[role]}”，此步骤退回给其他{roles.ROLE_LABELS[role]}办理。"
            )
        released += len(pks)
    return released


@transaction.atomic
def documents_rescope(*, documents, old_section_name: str, new_section_name: str, by=None) -> None:
    """Record a section move in each document's history; a step scoped on the old section forgets its assignee there."""
    for document in documents:
        locked = document_lock(type(document), document.pk)
        flow.flow_of(locked).move(user=by, comment=f"由“{old_section_name}”移交“{new_section_name}”。")


# ---------------------------------------------------------------- 常用意见 (saved phrases)


@transaction.atomic
def phrase_save(*, user, text: str) -> SavedPhrase:
    """Save ``text`` as one of ``user``'s 常用意见 (saving it again keeps one copy; at most MAX_PER_USER, oldest dropped)."""
    if not user.is_authenticated:
        raise errors.forbidden("请先登录。")
    text = (text or "").strip()
    if not text:
        raise errors.invalid("常用意见不能为空。")
    problem = validation.text_problem(text, "常用意见", max_length=SavedPhrase.MAX_LENGTH, multiline=False)
    if problem:
        raise errors.invalid(problem)
    phrase = SavedPhrase.objects.filter(user=user, text=text).first()
    if phrase is None:
        try:
            with transaction.atomic():
                phrase = SavedPhrase.objects.create(user=user, text=text)
        except IntegrityError:  # saved at the same moment in another tab
            phrase = SavedPhrase.objects.get(user=user, text=text)
    keep = SavedPhrase.objects.filter(user=user).order_by("-created", "-id").values_list("pk", flat=True)[: SavedPhrase.MAX_PER_USER]
    SavedPhrase.objects.filter(user=user).exclude(pk__in=list(keep)).delete()
    return phrase


@transaction.atomic
def phrase_delete(*, user, phrase_id: int) -> None:
    """Delete one of ``user``'s own saved phrases; another person's (or a missing one) is not found."""
    deleted, _ = SavedPhrase.objects.filter(user=user, pk=phrase_id).delete()
    if not deleted:
        raise errors.not_found("没有找到这条常用意见。")
