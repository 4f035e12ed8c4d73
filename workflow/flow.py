"""The approval of any document: one viewflow.fsm flow over the document's chain (``workflow.steps``).

``ApprovalFlow`` is the only writer of a document's approval columns (``state``, ``assignee``, ``state_since``,
``round_actors``); its transitions, permissions and refusals hold for every document, each reading the chain of the
document at hand. Within a round (since the last submission) nobody reviews a document they submitted or already
approved (提交与审核分离, ``duties_refusal``): the permission below refuses it at every door, and the queues,
buttons, cards and reminders derived from it never offer it.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from django.db.models import BooleanField, Expression, Q
from django.utils import timezone
from viewflow import fsm, this

from core import errors
from people import roles
from workdays.days import first_workday_on_or_after
from workflow.documents import chain_of
from workflow.models import Action, Event
from workflow.signals import event_recorded
from workflow.steps import CONSULT_AFTER, CONSULT_BEFORE, RESUME_HERE, RESUME_START, TRANSITION_ACTIONS, Chain

REVISION_NOTE_REQUIRED = "退回修改后重新提交，请填写修改说明（简要说明按退回意见改了什么）。"


# ---------------------------------------------------------------- who holds a step


def scope_of(document, role: str):
    """The Section or Agency of ``document`` on which ``role`` is held."""
    return document.section if roles.is_section_role(role) else document.agency


def holds(user, role: str, document) -> bool:
    return roles.has_role(user, role, scope_of(document, role))


_holders_memo: ContextVar[dict | None] = ContextVar("holders_memo", default=None)


@contextmanager
def holders_remembered():
    """Within the block, ``holders`` reads each step's holders once (the worker writing the notifications of many
    moves at once, in one transaction: their role holders do not change meanwhile)."""
    token = _holders_memo.set({})
    try:
        yield
    finally:
        _holders_memo.reset(token)


def holders(role: str, document, *, lent_outside=()) -> list:
    """Active users holding ``role`` on the document's section or agency, each read with their notification preference
    (the move's notifications choose channels by it: no second query). ``lent_outside``: delegates count only through
    principals not among these ids (the round's: 提交与审核分离)."""
    scope = scope_of(document, role)
    if scope is None:
        return []
    memo = _holders_memo.get()
    key = (role, type(scope), scope.pk, tuple(sorted(lent_outside)))
    if memo is not None and key in memo:
        return list(memo[key])
    found = list(roles.users_with_role(role, scope, lent_outside=lent_outside).select_related("notification_preference"))
    if memo is not None:
        memo[key] = found
    return list(found)


def reviewers(document) -> list:
    """Who the document's current step waits for: its assignee once reassigned, else every holder of the step's role;
    never someone who already submitted or approved it in this round."""
    step = chain_of(document).step_for(document.state)
    if step is None:
        return []
    consultant = consulted(document)
    if consultant is not None:  # 加签: the step waits for this person's opinion
        return [consultant]
    if document.assignee_id and document.assignee.is_active:
        users = [document.assignee, *roles.delegates_of([document.assignee_id]).get(document.assignee_id, [])]  # 委托
    else:
        users = holders(step.role, document, lent_outside=round_ids(document.round_actors))
    return [user for user in users if not acted_this_round(document, user)]  # 提交与审核分离


def consulted(document):
    """The active person whose opinion the document's step waits for (加签), or None."""
    if document.consultant_id is None:
        return None
    consultant = document.consultant
    return consultant if consultant.is_active else None


def no_consultation() -> Q:
    """The documents whose step waits for nobody's opinion (加签): their reviewers may decide (a condition on rows)."""
    from django.db.models import F

    return Q(consultant__isnull=True) | Q(_InactiveUser(F("consultant_id")))


class _InactiveUser(Expression):
    """The user ``column`` names is not active (or gone): ``NOT EXISTS`` an active user of that id, looked up per row
    on the primary key. A subquery, not a join: a 待办 read walks the (state, state_since) index and checks the few
    rows it reads. ``OFFSET 0`` keeps PostgreSQL from hashing every active user first (80,000 in a province: 15–20 ms
    on a finance reviewer's 待办 as soon as one document of it waits for a 加签 opinion)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column):
        super().__init__()
        self.column = column

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        [self.column] = expressions

    def as_sql(self, compiler, connection):
        from django.contrib.auth import get_user_model

        column, params = compiler.compile(self.column)
        offset = " OFFSET 0" if connection.vendor == "postgresql" else ""
        users = compiler.quote_name_unless_alias(get_user_model()._meta.db_table)
        return f"NOT EXISTS (SELECT 1 FROM {users} cu WHERE cu.id = {column} AND cu.is_active{offset})", params


def audience(event) -> list:
    """Who hears about an event (never its actor): derived from the chain."""
    document, action = event.document, event.action
    chain = chain_of(document)
    if action == Action.APPROVE and document.consultant_id is not None:
        users = []  # a 后加签 approval: the person asked is told by the 加签 entry recorded with it
    elif action in (Action.SUBMIT, Action.APPROVE, Action.MOVE, Action.URGE):
        users = reviewers(document)
    elif action == Action.CONSULT:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else []
    elif action == Action.OPINION:  # back to the reviewer who asked, or — an extra approval given — on to the next step
        users = [document.assignee] if document.assignee_id else reviewers(document)
    elif action == Action.WITHDRAW:
        users = holders(chain.first.role, document)
    elif action == Action.PUBLISH:
        users = holders(chain.author, document) + holders(chain.first.role, document)
    elif action == Action.REVOKE:
        taken = chain.step_for(event.from_state)  # the next step's task is gone; a publication's readers are told
        if taken is not None:
            users = holders(taken.role, document)
        else:
            users = holders(chain.author, document) + holders(chain.first.role, document)
    elif action == Action.RETURN:
        users = holders(chain.author, document) + approvers_this_round(document)
    elif action == Action.REASSIGN:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else reviewers(document)
    elif action == Action.CC:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else []
    else:
        users = []
    seen, result = set(), []
    for user in users:
        if user.pk not in seen and user.pk != event.actor_id:
            seen.add(user.pk)
            result.append(user)
    return result


# ---------------------------------------------------------------- separation of duties (提交与审核分离)
# Within a round of review (since the last submission) the person who submitted a document approves none of its steps,
# and nobody approves two of its steps. The round's actors are kept on the document's row (``round_actors``, written by
# ``ApprovalFlow`` below): every permission check, queue and audience reads them with the document itself.

DUTIES_RULE = roles.DUTIES_RULE
OWN_SUBMISSION = "不能审核自己提交的材料"
TWO_STEPS = "同一人不能审批同一轮的两个环节"


def round_ids(round_actors: str) -> list[int]:
    """Who acted in a document's round so far, from its ``round_actors``: its submitter, then the approver of each
    step passed (user ids)."""
    return [int(part) for part in (round_actors or "").split(",") if part]


def round_text(ids) -> str:
    """``round_ids`` as stored on the row (",<id>,<id>,": one id is found with LIKE '%,<id>,%')."""
    ids = [str(pk) for pk in ids if pk is not None]
    return f",{','.join(ids)}," if ids else ""


def acted_this_round(document, user) -> bool:
    """Did ``user`` submit the document, or approve one of its steps, in the round under way?"""
    return user is not None and user.pk is not None and user.pk in round_ids(document.round_actors)


def round_replay(chain: Chain, rows) -> list[int]:
    """The round's actors after the moves ``rows`` ((action, actor id, to_state), oldest first, starting at a
    submission to the first step): a submission starts a round, or — resumed at a later step after a 退回修改 straight
    back to that step — keeps the approvals of the steps before it; an approval adds its approver; a 撤回 after 通过
    takes the last approval back. (A publication ends the round: its approver is not added.)"""
    ids: list[int] = []
    for action, actor_id, to_state in rows:
        if action == Action.SUBMIT:
            step = chain.step_for(to_state)
            kept = ids[1 : 1 + chain.steps.index(step)] if step is not None else []
            ids = [actor_id, *kept]
        elif action == Action.APPROVE:
            ids.append(actor_id)
        elif action == Action.REVOKE and ids[1:] and to_state != chain.steps[-1].state:
            ids.pop()  # (a publication taken back lands at the last step: its approver was never added)
        elif action == Action.OPINION and chain.step_for(to_state) is not None:
            # a 后加签 disagreement takes the reviewer's approval back (the document waits at their step again): a
            # document waiting at the n-th step counts its submitter and n approvals
            ids = ids[: 1 + chain.steps.index(chain.step_for(to_state))]
    return ids


ROUND_ACTIONS = (Action.SUBMIT, Action.APPROVE, Action.REVOKE, Action.OPINION)


def round_of_history(document, *, until=None) -> list[int]:
    """The round's actors as the document's history says (read back, indexed, to the submission to the first step
    that started the round), up to the event ``until`` (included) or all of it."""
    chain = chain_of(document)
    earlier = document.events.filter(action__in=ROUND_ACTIONS)
    if until is not None:
        earlier = earlier.filter(Q(created__lt=until.created) | Q(created=until.created, id__lte=until.pk))
    rows = []
    for row in earlier.order_by("-created", "-id").values_list("action", "actor_id", "to_state").iterator(chunk_size=len(chain.steps) + 2):
        rows.append(row)
        if row[0] == Action.SUBMIT and row[2] == chain.first.state:
            break
    return round_replay(chain, reversed(rows))


def round_as_of(event) -> str:
    """``round_actors`` as the move ``event`` left them (its notifications may be written after later moves): none
    outside the review steps, else the document's history up to the event."""
    chain = chain_of(event.document)
    if event.to_state not in chain.review_states:
        return ""
    if event.action == Action.SUBMIT and event.to_state == chain.first.state:
        return round_text([event.actor_id])
    return round_text(round_of_history(event.document, until=event))


def principal_acted_this_round(document, user, role: str) -> bool:
    """Does ``user`` hold ``role`` on the document only through delegations, each of whose principals submitted it or
    approved a step of it in this round? (A delegate acts for a principal: 提交与审核分离 holds for the principal.)"""
    principals = roles.principals_for(user, role, scope_of(document, role))
    return bool(principals) and set(principals) <= set(round_ids(document.round_actors))


def not_for_acted_principals(user, role: str, field: str) -> Q:
    """The documents ``user`` may act on through ``role`` as far as their principals go (a condition on the rows a
    queue reads): not those of a scope ``user`` holds only through delegations whose principals are all of the
    round."""
    via = roles.delegated_scopes(user, role) or {}
    condition = Q()
    for scope_id, principals in via.items():
        every = Q(**{field: scope_id})
        for principal in principals:
            every &= Q(round_actors__contains=f",{principal},")
        condition &= ~every
    return condition


def not_acted_this_round(user) -> Q:
    """The documents whose round ``user`` took no part in (a condition on the rows a queue reads: nothing more)."""
    return ~Q(round_actors__contains=f",{user.pk},")


def duties_refusal(document, user) -> str | None:
    """Why ``user`` may not review the document's current step by the separation of duties, or None."""
    chain = chain_of(document)
    step = chain.step_for(document.state)
    ids = round_ids(document.round_actors)
    if step is None or user is None:
        return None
    if user.pk not in ids:
        principals = set(roles.principals_for(user, step.role, scope_of(document, step.role)))
        if principals and principals <= set(ids):
            name = roles.name_of(min(principals))
            return f"{DUTIES_RULE}：您是{name}的受托人，{name}本轮已提交或审核过{document.approval_this}，“{step.label}”须由其他{roles.ROLE_LABELS[step.role]}办理。"
        return None
    other = f"“{step.label}”须由其他{roles.ROLE_LABELS[step.role]}办理（{DUTIES_RULE}）。"
    first = ids.index(user.pk)  # 0: the submitter; n: the approver of the n-th step
    if first == 0:
        return f"{OWN_SUBMISSION}：{document.approval_this}本轮由您提交，{other}"
    passed = chain.steps[min(first, len(chain.steps)) - 1].label
    return f"{TWO_STEPS}：您已在本轮通过“{passed}”，{other}"


def last_submission(document):
    """The document's last 提交 (an Event), or None."""
    return document.events.filter(action=Action.SUBMIT).order_by("-created", "-id").first()


def approvers_this_round(document) -> list:
    """The reviewers who approved the document since it was last submitted (told when a later step returns it)."""
    last_submit = document.events.filter(action=Action.SUBMIT).order_by("-created", "-id").values_list("created", flat=True).first()
    if last_submit is None:
        return []
    events = document.events.filter(action=Action.APPROVE, created__gte=last_submit).select_related("actor")
    return [e.actor for e in events if e.actor is not None and e.actor.is_active]


# ---------------------------------------------------------------- the state machine


class ApprovalFlow:
    """The viewflow.fsm machine over one document (loaded under its row lock by ``workflow.services``): build it with
    ``flow_of(document)``, which gives the class of the document's chain (``flow_class``).

    Each transition names its permission; the services check ``has_perm`` before calling it. A successful transition
    saves the document (next version) and records who did what in its history (``Event``). Every transition,
    permission and refusal is written once, here; a chain fixes only the states they go from and to.
    """

    chain = None  # set on each chain's class (``flow_class``)

    def __init__(self, document):
        self.document = document
        self.event: Event | None = None
        self._assignee_before = document.assignee_id  # whom a 转办 had given the step to before the move
        self._round_before = round_ids(document.round_actors)

    # ------------------------------------------------------------ permissions

    def may_author(self, user) -> bool:
        return holds(user, self.chain.author, self.document)

    def may_review(self, user) -> bool:
        step = self.chain.step_for(self.document.state)
        if step is None or not holds(user, step.role, self.document):
            return False
        if self.document.assignee_id is not None and self.document.assignee_id != user.pk:
            if self.document.assignee_id not in roles.principals_now(user):  # the assignee's delegate acts for them
                return False
        if consulted(self.document) is not None:  # 加签: waiting for someone's opinion first
            return False
        if acted_this_round(self.document, user):  # 提交与审核分离
            return False
        return not principal_acted_this_round(self.document, user, step.role)

    def may_consult(self, user) -> bool:
        """加签: whoever may decide the step asks one more person (one at a time)."""
        return self.may_review(user)

    def may_opinion(self, user) -> bool:
        """The person asked (加签) gives their opinion."""
        return user is not None and user.is_authenticated and user.is_active and self.document.consultant_id == user.pk

    def may_withdraw(self, user) -> bool:
        """Only the submitter, while they are still an author on the scope and the first reviewer has not acted (nor
        reassigned)."""
        if self.document.assignee_id is not None or not self.may_author(user):
            return False
        last_submit = last_submission(self.document)
        return last_submit is not None and last_submit.actor_id == user.pk

    def may_urge(self, user) -> bool:
        """催办: a drafter of the document (a holder of the author role on its scope) while it waits at a step."""
        return self.chain.step_for(self.document.state) is not None and self.may_author(user)

    def may_cc(self, user) -> bool:
        """抄送: a drafter of the document, or whoever may decide its current step."""
        return self.may_author(user) or self.may_review(user)

    def _last_approval(self):
        """The move that brought the document where it is, when it was an approval (通过 or 公开), else None."""
        last = (
            self.document.events.filter(action__in=[*ROUND_ACTIONS, Action.PUBLISH, Action.RETURN, Action.WITHDRAW, Action.REASSIGN])
            .order_by("-created", "-id").first()
        )
        if last is None or last.action not in (Action.APPROVE, Action.PUBLISH) or last.to_state != self.document.state:
            return None
        return last

    def may_revoke(self, user) -> bool:
        """撤回 after 通过: the approver, while the next step has not acted (nor been reassigned); a publication, any
        holder of the last step's role who may review it again (the same working day: ``_revoke_checked``)."""
        if user is None or not user.is_authenticated or self.document.assignee_id is not None:
            return False
        if self.document.consultant_id is not None:  # a 后加签 is under way: its answer decides
            return False
        last = self._last_approval()
        if last is None:
            return False
        if last.action == Action.PUBLISH:
            return holds(user, self.chain.steps[-1].role, self.document) and user.pk not in round_of_history(self.document)
        return last.actor_id == user.pk and holds(user, self.chain.step_for(last.from_state).role, self.document)

    def revoked_state(self, **kwargs) -> str:
        self._revoke_source = self.document.state
        return self._last_approval().from_state

    def needs_revision_note(self) -> bool:
        """A returned document is resubmitted with a 修改说明 (checked before the move: the body runs in the new state)."""
        return self.document.state == self.chain.returned

    def content_clean(self):
        found = self.document.approval_errors()
        return fsm.State.CONDITION(not found, "体检发现错误，请先修改：" + "；".join(found))

    def consulted_state(self, *, when: str = CONSULT_BEFORE, **kwargs) -> str:
        """Where a 加签 leaves the document: at its step (前加签), or at the next step after the reviewer's approval
        (后加签; the next step waits for the extra approval)."""
        self._consult_source = self.document.state  # (the transition's body runs in the state it leads to)
        if when == CONSULT_AFTER and not self.chain.publishes(self.document.state):
            return self.chain.next_state(self.document.state)
        return self.document.state

    def opinion_state(self, *, agree: bool = True, **kwargs) -> str:
        """Where an opinion leaves the document: where it is, or — a 后加签 disagreed with — back at the step whose
        approval it was asked after."""
        if self.document.consult_after and not agree:
            step = self.chain.step_for(self.document.state)
            return self.chain.earlier_steps(step)[-1].state
        return self.document.state

    def approved_state(self, **kwargs) -> str:
        return self.chain.next_state(self.document.state)

    def submitted_state(self, *, user, **kwargs) -> str:
        """Where a submission goes: the first step, or — after a 退回修改 straight back to a step, whose round the
        document kept — that step, the approvals of the steps before it kept. Never an approval of the submitter:
        when they approved one of the kept steps, the submission resumes at that step (提交与审核分离)."""
        kept = round_ids(self.document.round_actors)[1:] if self.document.state == self.chain.returned else []
        if user is not None and user.pk in kept:
            kept = kept[: kept.index(user.pk)]
        kept = kept[: len(self.chain.steps) - 1]
        self._kept = kept
        return self.chain.steps[len(kept)].state

    def resume_of(self, source: str, resume: str | None) -> str:
        """The 退回修改's choice (``RESUME_HERE`` or ``RESUME_START``): the default is straight back for the last
        step, through the chain again for the others."""
        if resume in (None, ""):
            return RESUME_HERE if self.chain.publishes(source) else RESUME_START
        return resume

    # ------------------------------------------------------------ what the transitions do besides moving

    def _return_checked(self, comment: str, resume: str | None) -> None:
        if not (comment or "").strip():
            raise errors.invalid("退回修改必须填写意见。")
        if resume not in (None, "", RESUME_HERE, RESUME_START):
            raise errors.invalid("退回方式只能是“here”（修改后直接回到本环节）或“start”（修改后从头重新审核）。")

    def _reassign_checked(self, user, to_user, comment: str) -> None:
        step = self.chain.step_for(self.document.state)
        if not (comment or "").strip():
            raise errors.invalid("转办必须填写原因。")
        if to_user is None or not to_user.is_active or not holds(to_user, step.role, self.document):
            raise errors.invalid(f"只能转办给同一范围内的其他{roles.ROLE_LABELS[step.role]}。")
        if to_user.pk == user.pk:
            raise errors.invalid("不能转办给自己。")
        principal = roles.acting_for(to_user, step.role, scope_of(self.document, step.role))
        if principal is not None:  # the task would outlive the delegation: it goes to the principal (and so to them)
            raise errors.invalid(
                f"{roles.display_name(to_user)}只是在委托期间代{roles.name_of(principal)}办理，不能作为转办对象；"
                f"请转办给{roles.name_of(principal)}本人（委托期间由其受托人一并办理）。"
            )
        if acted_this_round(self.document, to_user):
            raise errors.invalid(
                f"不能转办给{roles.display_name(to_user)}：此人本轮已提交或审核过{self.document.approval_this}，"
                f"不能再审核（{DUTIES_RULE}）。"
            )
        self.document.assignee = to_user

    def _cc_checked(self, user, to_user) -> None:
        """Whom a document may be copied to: an active person of its agency (a role on the agency or one of its
        sections, or its 财政审核人), not oneself, not twice."""
        document = self.document
        if to_user is None or not to_user.is_active:
            raise errors.invalid("没有找到抄送对象，请填写其用户名（已停用的账号不能抄送）。")
        if to_user.pk == user.pk:
            raise errors.invalid("不能抄送给自己。")
        if not roles.works_for(to_user, document.agency):
            raise errors.invalid(
                f"只能抄送给{document.agency.name}的人员或其财政审核人：{roles.display_name(to_user)}不能查看{document.approval_this}。",
                code="cc_outsider",
            )
        if document.events.filter(action=Action.CC, target_user=to_user).exists():
            raise errors.conflict(f"{document.approval_this}已抄送给{roles.display_name(to_user)}。", code="already_copied")

    def _consult_checked(self, user, to_user, when: str, comment: str) -> None:
        """One person who may see the document, not oneself, not someone of its round (提交与审核分离)."""
        from workflow import permissions  # (permissions reads this module)

        document = self.document
        if when not in (CONSULT_BEFORE, CONSULT_AFTER):
            raise errors.invalid("加签方式只能是“before”（前加签）或“after”（后加签）。")
        source = getattr(self, "_consult_source", document.state)
        if when == CONSULT_AFTER and self.chain.publishes(source):
            raise errors.invalid(f"“{self.chain.label(source)}”是最后一个环节，只能前加签（征求意见后由您决定）。")
        if not (comment or "").strip():
            raise errors.invalid("加签必须填写说明（请对方看什么）。")
        if to_user is None or not to_user.is_active:
            raise errors.invalid("没有找到加签人，请填写其用户名（已停用的账号不能加签）。")
        if to_user.pk == user.pk:
            raise errors.invalid("不能加签给自己。")
        if not permissions.can_view(to_user, document):
            raise errors.invalid(f"{roles.display_name(to_user)}无权查看{document.approval_this}，不能加签。", code="consult_outsider")
        if acted_this_round(document, to_user):
            raise errors.invalid(
                f"不能加签给{roles.display_name(to_user)}：此人本轮已提交或审核过{document.approval_this}（{DUTIES_RULE}）。"
            )
        self._consultant = to_user

    def _opinion_checked(self, comment: str) -> None:
        if not (comment or "").strip():
            raise errors.invalid("请填写加签意见。")

    def _urge_checked(self) -> None:
        """At most one 催办 per step and working day (a weekend's counts for the next working day): 429 otherwise."""
        document = self.document
        last = (
            document.events.filter(action=Action.URGE, from_state=document.state)
            .order_by("-created", "-id").values_list("created", flat=True).first()
        )
        if last is not None and first_workday_on_or_after(timezone.localtime(last)) == first_workday_on_or_after(
            timezone.localtime()
        ):
            step = self.chain.label(document.state)
            raise errors.AppError(
                f"已于 {timezone.localtime(last):%m月%d日 %H:%M} 催办过“{step}”，同一环节每个工作日只能催办一次，请下一个工作日再催办。",
                status=429, code="urged_today",
            )

    def _revoke_checked(self, source: str, comment: str) -> None:
        """A publication is taken back only the working day it was made, with a reason; the round goes back to what it
        was before the approval taken back."""
        if source == self.chain.done:
            refusal = getattr(self.document, "approval_revoke_refusal", None)  # optional hook of the document
            why = refusal() if refusal is not None else None
            if why:
                raise errors.conflict(why)
            if not (comment or "").strip():
                raise errors.invalid("撤回公开必须填写原因。")
            published = self.document.events.filter(action=Action.PUBLISH).order_by("-created", "-id").values_list("created", flat=True).first()
            if published is None or first_workday_on_or_after(timezone.localtime(published)) != first_workday_on_or_after(timezone.localtime()):
                raise errors.conflict("只能在公开的当个工作日内撤回公开；如需修改，请走调整流程。")
            self._revoked_round = round_of_history(self.document)
        else:
            self._revoked_round = round_ids(self.document.round_actors)[:-1]

    def _moved(self) -> None:
        step = self.chain.step_for(self.document.state)
        if self.document.assignee_id and (step is None or not holds(self.document.assignee, step.role, self.document)):
            self.document.assignee = None

    def _principal(self, slug: str, source: str, user) -> int | None:
        """委托: the id of the person ``user`` made the move ``slug`` for — the assignee of a step reassigned to them
        whose delegate they are, or the holder of the move's role whose delegation gave it to them — else None."""
        if user is None:
            return None
        chain, document = self.chain, self.document
        if slug in ("submit", "withdraw", "urge"):
            role = chain.author
        elif slug == "cc":  # made as a drafter, or as the step's reviewer
            if holds(user, chain.author, document):
                role = chain.author
            else:
                step = chain.step_for(source)
                if step is None:
                    return None
                if self._assignee_before not in (None, user.pk):
                    return self._assignee_before
                role = step.role
        elif slug in ("approve", "return_for_revision", "reassign", "consult"):
            if self._assignee_before not in (None, user.pk):
                return self._assignee_before
            role = chain.step_for(source).role
        elif slug == "revoke":
            role = chain.steps[-1].role if source == chain.done else chain.step_for(document.state).role
        else:
            return None
        principals = roles.principals_for(user, role, scope_of(document, role))
        free = [pk for pk in principals if pk not in self._round_before]  # (提交与审核分离: one not of the round)
        return (free or principals or [None])[0]

    def _record(self, descriptor, source, target, user=None, comment: str = "", to_user=None, resume=None, **kwargs) -> None:
        document, chain = self.document, self.chain
        slug = next(iter(descriptor.get_transitions())).slug  # the transition method's name (viewflow.fsm's public API)
        if target is not None and target != source and target in chain.states:
            document.state_since = timezone.now()
            document.assignee = None
        resume_state = ""
        consult_after = slug == "consult" and target != source  # 后加签: the reviewer's approval, and the hold
        if target is not None and target != source:
            document.consultant, document.consult_after = None, False
        if slug == "consult":
            document.consultant, document.consult_after = self._consultant, consult_after
            if not consult_after:  # 前加签: the answer comes back to whoever asked (a delegate's: to their principal)
                step = chain.step_for(source)
                document.assignee_id = (
                    self._assignee_before or roles.acting_for(user, step.role, scope_of(document, step.role)) or user.pk
                )
        elif slug == "opinion":
            asker = round_ids(document.round_actors)[-1] if target != source else None
            document.consultant, document.consult_after = None, False
            if asker is not None:  # a 后加签 disagreed with: back to the reviewer who approved (if they still hold it)
                step = chain.step_for(document.state)
                reviewer = type(user).objects.filter(pk=asker, is_active=True).first()
                if reviewer is not None and holds(reviewer, step.role, document) and roles.acting_for(
                    reviewer, step.role, scope_of(document, step.role)
                ) is None:
                    document.assignee = reviewer
        if slug == "submit":  # a new round, or the returned one resumed (the approvals of the steps passed kept)
            document.round_actors = round_text([user.pk, *getattr(self, "_kept", [])])
        elif slug == "approve" or consult_after:
            document.round_actors = round_text([*round_ids(document.round_actors), user.pk])
        elif slug == "opinion" and target != source:
            document.round_actors = round_text(round_ids(document.round_actors)[:-1])
        elif slug == "revoke":
            document.round_actors = round_text(self._revoked_round)
        elif slug == "return_for_revision" and self.resume_of(source, resume) == RESUME_HERE:
            resume_state = source  # the round is kept while the drafters revise: the resubmission comes back here
        if document.state not in chain.review_states and not resume_state:  # the round ended (returned, withdrawn, done)
            document.round_actors = ""
        if slug not in ("urge", "cc"):  # a 催办 only asks, a 抄送 only tells: the reviewer's open page stays current
            document.bump_version(user)
            document.save(update_fields=[
                "state", "state_since", "assignee", "round_actors", "consultant", "consult_after", "version", "updated_by", "updated",
            ])
        action = TRANSITION_ACTIONS[slug]
        if consult_after:  # recorded as the approval it is, then the 加签 that holds the next step
            action = Action.APPROVE
        if slug == "approve" and document.state == chain.done:
            action = Action.PUBLISH
        from_state = getattr(self, "_repaired_from", None) or source
        if slug == "opinion":
            comment = f"{'同意' if kwargs.get('agree', True) else '不同意'}：{(comment or '').strip()}"
        actor = user if (user is not None and user.is_authenticated) else None
        self.event = Event.objects.create(
            document=document, actor=actor, on_behalf_of_id=self._principal(slug, source, actor), action=action,
            from_state=from_state, to_state=document.state, comment=(comment or "").strip(),
            target_user=to_user if slug in ("reassign", "cc") or (slug == "consult" and not consult_after) else None,
            snapshot=document.snapshot() if slug == "submit" else None, resume_state=resume_state,
        )
        if consult_after:  # the approval recorded, then the 加签 that holds the next step for the person asked
            event_recorded.send(sender=Event, event=self.event)
            self.event = Event.objects.create(
                document=document, actor=self.event.actor, on_behalf_of_id=self.event.on_behalf_of_id, action=Action.CONSULT,
                from_state=document.state, to_state=document.state, comment=f"后加签（通过后请其审批）：{self.event.comment}",
                target_user=to_user,
            )
        event_recorded.send(sender=Event, event=self.event)


@cache
def flow_class(chain: Chain) -> type[ApprovalFlow]:
    """The viewflow.fsm class of ``chain``: ``ApprovalFlow``'s transitions, from and to the chain's states."""
    review, first = list(chain.review_states), chain.first.state

    class ChainFlow(ApprovalFlow):
        state = fsm.State(str, default=chain.draft)

        @state.getter()
        def _get_state(self):
            return self.document.state

        @state.setter()
        def _set_state(self, value):
            self.document.state = value

        @state.transition(source=list(chain.drafting), target=fsm.State.GET_STATE(ApprovalFlow.submitted_state, states=review),
                          label="提交", permission=this.may_author, conditions=[this.content_clean])
        def submit(self, *, user, comment: str = "", **kwargs):
            """Send a draft or a revised document to the first review step (a returned one with a 修改说明), or back to
            the step that returned it straight to itself (``submitted_state``)."""

        @state.transition(source=first, target=chain.draft, label="撤回", permission=this.may_withdraw)
        def withdraw(self, *, user, comment: str = "", **kwargs):
            """Take a submission back before the first reviewer acted; the step is cancelled, not completed."""

        @state.transition(source=review, target=fsm.State.GET_STATE(ApprovalFlow.approved_state, states=[*review[1:], chain.done]),
                          label="通过", permission=this.may_review)
        def approve(self, *, user, comment: str = "", **kwargs):
            """Pass the document on to the next step; the last step ends the chain (publishes it)."""

        @state.transition(source=review, target=chain.returned, label="退回修改", permission=this.may_review)
        def return_for_revision(self, *, user, comment: str = "", resume: str | None = None, **kwargs):
            """Send the document back to its drafters with a comment; ``resume``: the resubmission comes straight back
            to this step (``here``: the steps passed keep their approvals) or goes through the chain again
            (``start``); by default straight back from the last step only."""
            self._return_checked(comment, resume)

        @state.transition(source=review, label="转办", permission=this.may_review)
        def reassign(self, *, user, to_user, comment: str = "", **kwargs):
            """Hand the current step to another holder of its role on the same scope."""
            self._reassign_checked(user, to_user, comment)

        @state.transition(source=[*review[1:], chain.done], target=fsm.State.GET_STATE(ApprovalFlow.revoked_state, states=review),
                          label="撤回通过", permission=this.may_revoke)
        def revoke(self, *, user, comment: str = "", **kwargs):
            """撤回 after 通过: the document goes back to the step the approval was made at, before the next step acts;
            a publication, the same working day, with a reason (the public pages follow: they read the state)."""
            self._revoke_checked(self._revoke_source, comment)

        @state.transition(source=review, label="催办", permission=this.may_urge)
        def urge(self, *, user, comment: str = "", **kwargs):
            """The drafters ask whoever holds the step to act (notified, WeCom card included): once per working day."""
            self._urge_checked()

        @state.transition(source=fsm.State.ANY, label="抄送", permission=this.may_cc)
        def cc(self, *, user, to_user, comment: str = "", **kwargs):
            """抄送: tell one person of the document's agency, who may read it from then on (nothing more)."""
            self._cc_checked(user, to_user)

        @state.transition(source=review, target=fsm.State.GET_STATE(ApprovalFlow.consulted_state, states=review),
                          label="加签", permission=this.may_consult)
        def consult(self, *, user, to_user, when: str = "before", comment: str = "", **kwargs):
            """加签: the reviewer asks one person who may see the document — before deciding (the step waits for the
            opinion, then comes back to them) or after approving (the next step waits for this extra approval)."""
            self._consult_checked(user, to_user, when, comment)

        @state.transition(source=review, target=fsm.State.GET_STATE(ApprovalFlow.opinion_state, states=review),
                          label="加签意见", permission=this.may_opinion)
        def opinion(self, *, user, agree: bool = True, comment: str = "", **kwargs):
            """The person asked answers: the step goes back to the reviewer who asked (前加签), on to the next step's
            holders (后加签 agreed) or back to the reviewer's step, their approval taken back (后加签 disagreed)."""
            self._opinion_checked(comment)

        @state.transition(source=review, label="退回待办", permission=None)
        def release(self, *, user, comment: str = "", **kwargs):
            """The system gives a reassigned step back to every holder of its role (the assignee lost the role)."""
            self.document.assignee = None

        @state.transition(source=fsm.State.ANY, label="移交科室", permission=None)
        def move(self, *, user, comment: str = "", **kwargs):
            """The document moved to another section: a step scoped on the section forgets an assignee who does not
            hold it there."""
            self._moved()

        @state.transition(source=fsm.State.ANY, label="系统校正", permission=None)
        def repair(self, *, user, comment: str = "", previous_state: str | None = None, **kwargs):
            """``check_workflow --repair``: the fixes are made by the caller; this records them in the history."""
            self._repaired_from = previous_state

        @state.on_success()
        def _recorded(self, descriptor, source, target, **kwargs):
            self._record(descriptor, source, target, **kwargs)

    ChainFlow.chain = chain
    ChainFlow.__name__ = ChainFlow.__qualname__ = f"ApprovalFlow[{' → '.join(chain.labels[s] for s in chain.order)}]"
    return ChainFlow


def flow_of(document) -> ApprovalFlow:
    """The flow over ``document``, on its chain."""
    return flow_class(chain_of(document))(document)
