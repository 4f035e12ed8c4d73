"""The approval of any document: one viewflow.fsm flow over the document's chain (``workflow.steps``).

``ApprovalFlow`` is the only writer of a document's approval columns (``state``, ``assignee``, ``state_since``,
``round_actors``); its transitions, permissions and refusals hold for every document, each reading the chain of the
document at hand. Within a round (since the last submission) nobody reviews a document they submitted or already
approved (提交与审核分离, ``duties_refusal``): the permission below refuses it at every door, and the queues,
buttons, cards and reminders derived from it never offer it.
"""

from __future__ import annotations

from functools import cache

from django.db.models import Q
from django.utils import timezone
from viewflow import fsm, this

from core import errors
from people import roles
from workflow.documents import chain_of
from workflow.models import Action, Event
from workflow.signals import event_recorded
from workflow.steps import TRANSITION_ACTIONS, Chain

REVISION_NOTE_REQUIRED = "退回修改后重新提交，请填写修改说明（简要说明按退回意见改了什么）。"


# ---------------------------------------------------------------- who holds a step


def scope_of(document, role: str):
    """The Section or Agency of ``document`` on which ``role`` is held."""
    return document.section if roles.is_section_role(role) else document.agency


def holds(user, role: str, document) -> bool:
    return roles.has_role(user, role, scope_of(document, role))


def holders(role: str, document) -> list:
    """Active users holding ``role`` on the document's section or agency, each read with their notification preference
    (the move's notifications choose channels by it: no second query)."""
    scope = scope_of(document, role)
    if scope is None:
        return []
    return list(roles.users_with_role(role, scope).select_related("notification_preference"))


def reviewers(document) -> list:
    """Who the document's current step waits for: its assignee once reassigned, else every holder of the step's role;
    never someone who already submitted or approved it in this round."""
    step = chain_of(document).step_for(document.state)
    if step is None:
        return []
    if document.assignee_id and document.assignee.is_active:
        users = [document.assignee]
    else:
        users = holders(step.role, document)
    return [user for user in users if not acted_this_round(document, user)]  # 提交与审核分离


def audience(event) -> list:
    """Who hears about an event (never its actor): derived from the chain."""
    document, action = event.document, event.action
    chain = chain_of(document)
    if action in (Action.SUBMIT, Action.APPROVE, Action.MOVE):
        users = reviewers(document)
    elif action == Action.WITHDRAW:
        users = holders(chain.first.role, document)
    elif action == Action.PUBLISH:
        users = holders(chain.author, document) + holders(chain.first.role, document)
    elif action == Action.RETURN:
        users = holders(chain.author, document) + approvers_this_round(document)
    elif action == Action.REASSIGN:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else reviewers(document)
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


def round_as_of(event) -> str:
    """``round_actors`` as the move ``event`` left them (its notifications may be written after later moves): one
    indexed read of the document's history for an approval, none otherwise."""
    chain = chain_of(event.document)
    if event.to_state not in chain.review_states:
        return ""
    if event.action == Action.SUBMIT:
        return round_text([event.actor_id])
    field = event.document_field
    earlier = (
        Event.objects.filter(**{f"{field}_id": event.document_id}, action__in=[Action.SUBMIT, Action.APPROVE])
        .filter(Q(created__lt=event.created) | Q(created=event.created, id__lte=event.pk))
        .order_by("-created", "-id").values_list("action", "actor_id")[: len(chain.steps) + 1]
    )
    actors = []
    for action, actor_id in earlier:
        actors.append(actor_id)
        if action == Action.SUBMIT:
            break
    return round_text(reversed(actors))


def not_acted_this_round(user) -> Q:
    """The documents whose round ``user`` took no part in (a condition on the rows a queue reads: nothing more)."""
    return ~Q(round_actors__contains=f",{user.pk},")


def duties_refusal(document, user) -> str | None:
    """Why ``user`` may not review the document's current step by the separation of duties, or None."""
    chain = chain_of(document)
    step = chain.step_for(document.state)
    ids = round_ids(document.round_actors)
    if step is None or user is None or user.pk not in ids:
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

    # ------------------------------------------------------------ permissions

    def may_author(self, user) -> bool:
        return holds(user, self.chain.author, self.document)

    def may_review(self, user) -> bool:
        step = self.chain.step_for(self.document.state)
        if step is None or not holds(user, step.role, self.document):
            return False
        if self.document.assignee_id is not None and self.document.assignee_id != user.pk:
            return False
        return not acted_this_round(self.document, user)  # 提交与审核分离

    def may_withdraw(self, user) -> bool:
        """Only the submitter, while they are still an author on the scope and the first reviewer has not acted (nor
        reassigned)."""
        if self.document.assignee_id is not None or not self.may_author(user):
            return False
        last_submit = last_submission(self.document)
        return last_submit is not None and last_submit.actor_id == user.pk

    def needs_revision_note(self) -> bool:
        """A returned document is resubmitted with a 修改说明 (checked before the move: the body runs in the new state)."""
        return self.document.state == self.chain.returned

    def content_clean(self):
        found = self.document.approval_errors()
        return fsm.State.CONDITION(not found, "体检发现错误，请先修改：" + "；".join(found))

    def approved_state(self, **kwargs) -> str:
        return self.chain.next_state(self.document.state)

    # ------------------------------------------------------------ what the transitions do besides moving

    def _return_checked(self, comment: str) -> None:
        if not (comment or "").strip():
            raise errors.invalid("退回修改必须填写意见。")

    def _reassign_checked(self, user, to_user, comment: str) -> None:
        step = self.chain.step_for(self.document.state)
        if not (comment or "").strip():
            raise errors.invalid("转办必须填写原因。")
        if to_user is None or not to_user.is_active or not holds(to_user, step.role, self.document):
            raise errors.invalid(f"只能转办给同一范围内的其他{roles.ROLE_LABELS[step.role]}。")
        if to_user.pk == user.pk:
            raise errors.invalid("不能转办给自己。")
        if acted_this_round(self.document, to_user):
            raise errors.invalid(
                f"不能转办给{roles.display_name(to_user)}：此人本轮已提交或审核过{self.document.approval_this}，"
                f"不能再审核（{DUTIES_RULE}）。"
            )
        self.document.assignee = to_user

    def _moved(self) -> None:
        step = self.chain.step_for(self.document.state)
        if self.document.assignee_id and (step is None or not holds(self.document.assignee, step.role, self.document)):
            self.document.assignee = None

    def _record(self, descriptor, source, target, user=None, comment: str = "", to_user=None, **kwargs) -> None:
        document, chain = self.document, self.chain
        slug = next(iter(descriptor.get_transitions())).slug  # the transition method's name (viewflow.fsm's public API)
        if target is not None and target != source and target in chain.states:
            document.state_since = timezone.now()
            document.assignee = None
        if slug == "submit":  # a new round
            document.round_actors = round_text([user.pk])
        elif slug == "approve":
            document.round_actors = round_text([*round_ids(document.round_actors), user.pk])
        if document.state not in chain.review_states:  # the round ended (returned, withdrawn, done)
            document.round_actors = ""
        document.bump_version(user)
        document.save(update_fields=["state", "state_since", "assignee", "round_actors", "version", "updated_by", "updated"])
        action = TRANSITION_ACTIONS[slug]
        if slug == "approve" and document.state == chain.done:
            action = Action.PUBLISH
        from_state = getattr(self, "_repaired_from", None) or source
        self.event = Event.objects.create(
            document=document, actor=user if (user is not None and user.is_authenticated) else None, action=action,
            from_state=from_state, to_state=document.state, comment=(comment or "").strip(),
            target_user=to_user if slug == "reassign" else None,
            snapshot=document.snapshot() if slug == "submit" else None,
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

        @state.transition(source=list(chain.drafting), target=first, label="提交", permission=this.may_author,
                          conditions=[this.content_clean])
        def submit(self, *, user, comment: str = "", **kwargs):
            """Send a draft or a revised document to the first review step (a returned one with a 修改说明)."""

        @state.transition(source=first, target=chain.draft, label="撤回", permission=this.may_withdraw)
        def withdraw(self, *, user, comment: str = "", **kwargs):
            """Take a submission back before the first reviewer acted; the step is cancelled, not completed."""

        @state.transition(source=review, target=fsm.State.GET_STATE(ApprovalFlow.approved_state, states=[*review[1:], chain.done]),
                          label="通过", permission=this.may_review)
        def approve(self, *, user, comment: str = "", **kwargs):
            """Pass the document on to the next step; the last step ends the chain (publishes it)."""

        @state.transition(source=review, target=chain.returned, label="退回修改", permission=this.may_review)
        def return_for_revision(self, *, user, comment: str = "", **kwargs):
            """Send the document back to its drafters with a comment."""
            self._return_checked(comment)

        @state.transition(source=review, label="转办", permission=this.may_review)
        def reassign(self, *, user, to_user, comment: str = "", **kwargs):
            """Hand the current step to another holder of its role on the same scope."""
            self._reassign_checked(user, to_user, comment)

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
