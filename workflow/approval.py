"""The approval of a target sheet, declared once.

    草稿 / 退回修改 ──提交──▶ 科室审核 ──通过──▶ 局领导审批 ──通过──▶ 财政审核 ──通过──▶ 已公开
        ▲  ◀──撤回（科室负责人办理前）──┘        │                  │
        └──────────────────退回修改（任一审核步骤，须填写意见）──────────┘
    转办: any review step stays where it is and is assigned to another holder of its role.

``REVIEW_STEPS`` is the one list of review steps: in which order, who acts (a role held
on the sheet's section or agency), and whether that role belongs to another
organisation. ``SheetApproval`` (viewflow.fsm) is generated from it and is the only
writer of a sheet's approval state (``state``, ``assignee``, ``state_since``, ``round_actors``); who may
do what, task queues, step labels, next states, notification audiences and
reminders are all derived from it. Within a round (since the last submission) nobody reviews a sheet they submitted
or already approved (提交与审核分离, ``duties_refusal``): the permission below refuses it at every door, and the
queues, buttons, cards and reminders derived from it never offer it. Adding a step (say a second section's review of a
cross-section project) is one more ``Step`` here and its ``SheetState`` value.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from viewflow import fsm, this

from core import errors
from people import roles
from people.roles import Role
from projects.models import EDITABLE_STATES, SheetState
from workflow.models import Action, SheetEvent
from workflow.signals import sheet_event_recorded


@dataclass(frozen=True)
class Step:
    state: str  # the sheet's state while it waits at this step
    role: str  # who acts: holders of this role on the sheet's section or agency
    outside: bool = False  # the role belongs to another organisation: it sees a sheet only from this step on

    @property
    def label(self) -> str:
        return SheetState(self.state).label

    @property
    def scope_field(self) -> str:
        """The sheet's key the role's scope is compared with: ``section`` or ``agency``."""
        return "section" if roles.is_section_role(self.role) else "agency"


AUTHOR_ROLE = Role.STAFF  # drafts, submits, revises, withdraws
DRAFTING_STATES = tuple(EDITABLE_STATES)  # draft, returned
REVIEW_STEPS = (
    Step(SheetState.SECTION_REVIEW, Role.SECTION_HEAD),
    Step(SheetState.LEADER_REVIEW, Role.LEADER),
    Step(SheetState.FINANCE_REVIEW, Role.FINANCE_REVIEWER, outside=True),
)
DONE = SheetState.PUBLISHED
REVISION_NOTE_REQUIRED = "退回修改后重新提交，请填写修改说明（简要说明按退回意见改了什么）。"

# ---------------------------------------------------------------- derived from the declaration

FIRST_STEP = REVIEW_STEPS[0]
REVIEW_STATES = tuple(step.state for step in REVIEW_STEPS)
ORDER = (SheetState.DRAFT, *REVIEW_STATES, DONE)  # the step bar, left to right (退回修改 is shown on 草稿)
_STEP_OF_STATE = {step.state: step for step in REVIEW_STEPS}
_NEXT_STATE = {step.state: (REVIEW_STEPS[i + 1].state if i + 1 < len(REVIEW_STEPS) else DONE) for i, step in enumerate(REVIEW_STEPS)}
REVIEW_ROLES = tuple(dict.fromkeys(step.role for step in REVIEW_STEPS))


def step_for(state: str) -> Step | None:
    """The review step a sheet in ``state`` waits at (None for drafts and published sheets)."""
    return _STEP_OF_STATE.get(state)


def next_state(state: str) -> str:
    """Where an approval at ``state`` leads."""
    return _NEXT_STATE[state]


def state_label(state: str) -> str:
    return SheetState(state).label


def visible_states(role: str) -> tuple[str, ...] | None:
    """The states in which a holder of ``role`` sees a sheet of their scope; None: every state."""
    for index, step in enumerate(REVIEW_STEPS):
        if step.role == role and step.outside:
            return tuple(s.state for s in REVIEW_STEPS[index:]) + (DONE,)
    return None


def scope_of(sheet, role: str):
    """The Section or Agency of ``sheet`` on which ``role`` is held."""
    return sheet.section if roles.is_section_role(role) else sheet.agency


def holds(user, role: str, sheet) -> bool:
    return roles.has_role(user, role, scope_of(sheet, role))


def holders(role: str, sheet) -> list:
    """Active users holding ``role`` on the sheet's section or agency, each read with their notification preference
    (the move's notifications choose channels by it: no second query)."""
    scope = scope_of(sheet, role)
    if scope is None:
        return []
    return list(roles.users_with_role(role, scope).select_related("notification_preference"))


def reviewers(sheet) -> list:
    """Who the sheet's current step waits for: its assignee once reassigned, else every holder of the step's role;
    never someone who already submitted or approved it in this round."""
    step = step_for(sheet.state)
    if step is None:
        return []
    if sheet.assignee_id and sheet.assignee.is_active:
        users = [sheet.assignee]
    else:
        users = holders(step.role, sheet)
    return [user for user in users if not acted_this_round(sheet, user)]  # 提交与审核分离


def audience(event) -> list:
    """Who hears about an event (never its actor): derived from the steps."""
    sheet, action = event.sheet, event.action
    if action in (Action.SUBMIT, Action.APPROVE, Action.NUDGE):
        users = reviewers(sheet)
    elif action == Action.WITHDRAW:
        users = holders(FIRST_STEP.role, sheet)
    elif action == Action.PUBLISH:
        users = holders(AUTHOR_ROLE, sheet) + holders(FIRST_STEP.role, sheet)
    elif action == Action.RETURN:
        users = holders(AUTHOR_ROLE, sheet) + approvers_this_round(sheet)
    elif action == Action.REASSIGN:
        users = [event.target_user] if event.target_user is not None and event.target_user.is_active else reviewers(sheet)
    elif action == Action.MOVE:
        users = reviewers(sheet)
    else:
        users = []
    seen, result = set(), []
    for user in users:
        if user.pk not in seen and user.pk != event.actor_id:
            seen.add(user.pk)
            result.append(user)
    return result


# ---------------------------------------------------------------- separation of duties (提交与审核分离)
# Within a round of review (since the last submission) the person who submitted a sheet approves none of its steps, and
# nobody approves two of its steps. The round's actors are kept on the sheet row (``round_actors``, written by
# ``SheetApproval`` below): every permission check, queue and audience reads them with the sheet itself.

DUTIES_RULE = roles.DUTIES_RULE
OWN_SUBMISSION = "不能审核自己提交的材料"
TWO_STEPS = "同一人不能审批同一轮的两个环节"


def round_ids(round_actors: str) -> list[int]:
    """Who acted in a sheet's round so far, from its ``round_actors``: its submitter, then the approver of each step
    passed (user ids)."""
    return [int(part) for part in (round_actors or "").split(",") if part]


def round_text(ids) -> str:
    """``round_ids`` as stored on the row (",<id>,<id>,": one id is found with LIKE '%,<id>,%')."""
    ids = [str(pk) for pk in ids if pk is not None]
    return f",{','.join(ids)}," if ids else ""


def acted_this_round(sheet, user) -> bool:
    """Did ``user`` submit the sheet, or approve one of its steps, in the round under way?"""
    return user is not None and user.pk is not None and user.pk in round_ids(sheet.round_actors)


def round_as_of(event) -> str:
    """``round_actors`` as the move ``event`` left them (its notifications may be written after later moves): one
    indexed read of the sheet's history for an approval, none otherwise."""
    if event.to_state not in REVIEW_STATES:
        return ""
    if event.action == Action.SUBMIT:
        return round_text([event.actor_id])
    earlier = (
        SheetEvent.objects.filter(sheet_id=event.sheet_id, action__in=[Action.SUBMIT, Action.APPROVE])
        .filter(Q(created__lt=event.created) | Q(created=event.created, id__lte=event.pk))
        .order_by("-created", "-id").values_list("action", "actor_id")[: len(REVIEW_STEPS) + 1]
    )
    actors = []
    for action, actor_id in earlier:
        actors.append(actor_id)
        if action == Action.SUBMIT:
            break
    return round_text(reversed(actors))


def not_acted_this_round(user) -> Q:
    """The sheets whose round ``user`` took no part in (a condition on the rows a queue reads: nothing more is read)."""
    return ~Q(round_actors__contains=f",{user.pk},")


def duties_refusal(sheet, user) -> str | None:
    """Why ``user`` may not review the sheet's current step by the separation of duties, or None."""
    step = step_for(sheet.state)
    ids = round_ids(sheet.round_actors)
    if step is None or user is None or user.pk not in ids:
        return None
    other = f"“{step.label}”须由其他{roles.ROLE_LABELS[step.role]}办理（{DUTIES_RULE}）。"
    first = ids.index(user.pk)  # 0: the submitter; n: the approver of the n-th step
    if first == 0:
        return f"{OWN_SUBMISSION}：这张表本轮由您提交，{other}"
    passed = REVIEW_STEPS[min(first, len(REVIEW_STEPS)) - 1].label
    return f"{TWO_STEPS}：您已在本轮通过“{passed}”，{other}"


def approvers_this_round(sheet) -> list:
    """The reviewers who approved the sheet since it was last submitted (told when a later step returns it)."""
    last_submit = sheet.events.filter(action=Action.SUBMIT).order_by("-created", "-id").values_list("created", flat=True).first()
    if last_submit is None:
        return []
    events = sheet.events.filter(action=Action.APPROVE, created__gte=last_submit).select_related("actor")
    return [e.actor for e in events if e.actor is not None and e.actor.is_active]


# ---------------------------------------------------------------- the state machine


def _approved_state(approval: "SheetApproval", **kwargs) -> str:
    return next_state(approval.sheet.state)


class SheetApproval:
    """The viewflow.fsm machine over one sheet (loaded under its row lock by ``workflow.services``).

    Each transition names its permission; the services check ``has_perm`` before calling it.
    A successful transition saves the sheet (next version) and records who did what in 办理记录.
    """

    state = fsm.State(SheetState, default=SheetState.DRAFT)

    def __init__(self, sheet):
        self.sheet = sheet
        self.event: SheetEvent | None = None

    @state.getter()
    def _get_state(self):
        return self.sheet.state

    @state.setter()
    def _set_state(self, value):
        self.sheet.state = value

    # ------------------------------------------------------------ permissions

    def may_author(self, user) -> bool:
        return holds(user, AUTHOR_ROLE, self.sheet)

    def may_review(self, user) -> bool:
        step = step_for(self.sheet.state)
        if step is None or not holds(user, step.role, self.sheet):
            return False
        if self.sheet.assignee_id is not None and self.sheet.assignee_id != user.pk:
            return False
        return not acted_this_round(self.sheet, user)  # 提交与审核分离

    def may_withdraw(self, user) -> bool:
        """Only the submitter, while they are still staff of the section and the head has not acted (nor reassigned)."""
        if self.sheet.assignee_id is not None or not self.may_author(user):
            return False
        last_submit = self.sheet.events.filter(action=Action.SUBMIT).order_by("-created", "-id").first()
        return last_submit is not None and last_submit.actor_id == user.pk

    def needs_revision_note(self) -> bool:
        """A returned sheet is resubmitted with a 修改说明 (checked before the move: the body runs in the new state)."""
        return self.sheet.state == SheetState.RETURNED

    def checker_clean(self):
        errors = [f for f in self.sheet.findings() if f.is_error]
        return fsm.State.CONDITION(not errors, "体检发现错误，请先修改：" + "；".join(f.message for f in errors))

    # ------------------------------------------------------------ transitions

    @state.transition(source=DRAFTING_STATES, target=FIRST_STEP.state, label="提交", permission=this.may_author, conditions=[this.checker_clean])
    def submit(self, *, user, comment: str = "", **kwargs):
        """Send a draft or a revised sheet to the first review step (a returned one with a 修改说明: ``needs_revision_note``)."""

    @state.transition(source=FIRST_STEP.state, target=SheetState.DRAFT, label="撤回", permission=this.may_withdraw)
    def withdraw(self, *, user, comment: str = "", **kwargs):
        """Take a submission back before the first reviewer acted; the review step is cancelled, not completed."""

    @state.transition(
        source=REVIEW_STATES, target=fsm.State.GET_STATE(_approved_state, states=[*REVIEW_STATES[1:], DONE]),
        label="通过", permission=this.may_review,
    )
    def approve(self, *, user, comment: str = "", **kwargs):
        """Pass the sheet on to the next step; the last step publishes it."""

    @state.transition(source=REVIEW_STATES, target=SheetState.RETURNED, label="退回修改", permission=this.may_review)
    def return_for_revision(self, *, user, comment: str = "", **kwargs):
        """Send the sheet back to its drafters with a comment."""
        if not (comment or "").strip():
            raise errors.invalid("退回修改必须填写意见。")

    @state.transition(source=REVIEW_STATES, label="转办", permission=this.may_review)
    def reassign(self, *, user, to_user, comment: str = "", **kwargs):
        """Hand the current step to another holder of its role on the same scope."""
        step = step_for(self.sheet.state)
        if not (comment or "").strip():
            raise errors.invalid("转办必须填写原因。")
        if to_user is None or not to_user.is_active or not holds(to_user, step.role, self.sheet):
            raise errors.invalid(f"只能转办给同一范围内的其他{roles.ROLE_LABELS[step.role]}。")
        if to_user.pk == user.pk:
            raise errors.invalid("不能转办给自己。")
        if acted_this_round(self.sheet, to_user):
            raise errors.invalid(
                f"不能转办给{roles.display_name(to_user)}：此人本轮已提交或审核过这张表，不能再审核（{DUTIES_RULE}）。"
            )
        self.sheet.assignee = to_user

    @state.transition(source=REVIEW_STATES, label="退回待办", permission=None)
    def release(self, *, user, comment: str = "", **kwargs):
        """The system gives a reassigned step back to every holder of its role (the assignee lost the role)."""
        self.sheet.assignee = None

    @state.transition(source=fsm.State.ANY, label="移交科室", permission=None)
    def move(self, *, user, comment: str = "", **kwargs):
        """The sheet moved to another section: a step scoped on the section forgets an assignee who does not hold it there."""
        step = step_for(self.sheet.state)
        if self.sheet.assignee_id and (step is None or not holds(self.sheet.assignee, step.role, self.sheet)):
            self.sheet.assignee = None

    @state.transition(source=fsm.State.ANY, label="系统校正", permission=None)
    def repair(self, *, user, comment: str = "", previous_state: str | None = None, **kwargs):
        """``check_workflow --repair``: the fixes are made by the caller; this records them in the history."""
        self._repaired_from = previous_state

    # ------------------------------------------------------------ recording

    @state.on_success()
    def _recorded(self, descriptor, source, target, user=None, comment: str = "", to_user=None, **kwargs):
        sheet = self.sheet
        slug = next(iter(descriptor.get_transitions())).slug  # the transition method's name (viewflow.fsm's public API)
        moved = target is not None and target != source and target in SheetState.values
        if moved:
            sheet.state_since = timezone.now()
            sheet.assignee = None
        if slug == "submit":  # a new round
            sheet.round_actors = round_text([user.pk])
        elif slug == "approve":
            sheet.round_actors = round_text([*round_ids(sheet.round_actors), user.pk])
        if sheet.state not in REVIEW_STATES:  # the round ended (returned, withdrawn, published)
            sheet.round_actors = ""
        sheet.bump_version(user)
        sheet.save(update_fields=["state", "state_since", "assignee", "round_actors", "version", "updated_by", "updated"])
        action = _ACTIONS[slug]
        if slug == "approve" and sheet.state == DONE:
            action = Action.PUBLISH
        from_state = getattr(self, "_repaired_from", None) or source
        self.event = SheetEvent.objects.create(
            sheet=sheet, actor=user if (user is not None and user.is_authenticated) else None, action=action,
            from_state=from_state, to_state=sheet.state, comment=(comment or "").strip(),
            target_user=to_user if slug == "reassign" else None,
            snapshot=sheet.snapshot() if slug == "submit" else None,
        )
        sheet_event_recorded.send(sender=SheetEvent, event=self.event)


_ACTIONS = {
    "submit": Action.SUBMIT,
    "withdraw": Action.WITHDRAW,
    "approve": Action.APPROVE,
    "return_for_revision": Action.RETURN,
    "reassign": Action.REASSIGN,
    "release": Action.REASSIGN,
    "move": Action.MOVE,
    "repair": Action.REPAIR,
}
