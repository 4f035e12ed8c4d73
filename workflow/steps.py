"""The approval chain, declared once: its states, its steps, who acts at each, and the words of its moves.

    草稿 / 退回修改 ──提交──▶ 科室审核 ──通过──▶ 局领导审批 ──通过──▶ 财政审核 ──通过──▶ 已公开
        ▲  ◀──撤回（科室负责人办理前）──┘        │                  │
        └──────────────────退回修改（任一审核步骤，须填写意见）──────────┘
    转办: any review step stays where it is and is assigned to another holder of its role.

A ``Chain`` is an author role, the drafting states, the review ``Step``s in order, the done state and the states'
labels; everything else (the first step, the review states, the step bar's order, the step of a state, where an
approval leads, which states an outside role sees, the review roles) is derived from it. ``CHAIN`` is the chain
of today's documents; a document may declare its own as ``approval_chain`` (``workflow.documents.chain_of``). The
flow (``workflow.flow``), the moves, queues, permissions, audiences, reminders, cards and every text read the
chain of the document at hand: adding a step is one more ``Step`` (and its state's label) in a chain.

``MOVES`` is the one list of what a history entry records (``Action``) with its word, and of the notification each
move sends with the word of that notification's kind: ``notifications.models.Kind`` takes its move kinds from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import models

from people import roles
from people.roles import Role
from projects.models import EDITABLE_STATES, SheetState


@dataclass(frozen=True)
class Move:
    value: str  # stored in the history (Event.action) and, for a move that notifies, as the notification's kind
    word: str  # what the history says
    notice: str = ""  # the notification kind's word ("" for a move that tells nobody)


MOVES = (
    Move("submit", "提交", "提交审核"),
    Move("withdraw", "撤回", "撤回"),
    Move("approve", "通过", "审核通过"),
    Move("return", "退回修改", "退回修改"),
    Move("reassign", "转办", "转办"),
    Move("publish", "公开", "已公开"),
    Move("revoke", "撤回通过", "撤回通过"),
    Move("urge", "催办", "提交人催办"),
    Move("cc", "抄送", "抄送"),
    Move("consult", "加签", "加签征求意见"),  # the reviewer asks one more person, before deciding or after approving
    Move("opinion", "加签意见", "加签意见"),  # that person's answer  # a copy for information: the person copied may read the document, nothing more
    Move("move", "移交科室"),
    Move("import", "导入 Word"),
    Move("restore", "恢复内容"),
    Move("repair", "系统校正"),
    Move("rollover", "由上年结转"),
    Move("discard", "放弃调整"),  # recorded on the sheet in force when its adjustment (目标调整) is discarded
)

Action = models.TextChoices("Action", [(move.value.upper(), (move.value, move.word)) for move in MOVES], module=__name__)
Action.__doc__ = "What a history entry (workflow.Event) records; values and words from ``MOVES``."
NOTICES = tuple((move.value, move.notice) for move in MOVES if move.notice)  # notifications.Kind's move kinds

# The move a transition of the flow records (the last step's approval records PUBLISH: ``ApprovalFlow``).
TRANSITION_ACTIONS = {
    "submit": Action.SUBMIT,
    "withdraw": Action.WITHDRAW,
    "approve": Action.APPROVE,
    "return_for_revision": Action.RETURN,
    "revoke": Action.REVOKE,
    "urge": Action.URGE,
    "cc": Action.CC,
    "consult": Action.CONSULT,
    "opinion": Action.OPINION,
    "reassign": Action.REASSIGN,
    "release": Action.REASSIGN,
    "move": Action.MOVE,
    "repair": Action.REPAIR,
}
# The verb of a transition in a refusal ("不能提交").
VERBS = {"submit": "提交", "withdraw": "撤回", "approve": "通过", "return_for_revision": "退回", "reassign": "转办",
         "revoke": "撤回通过", "urge": "催办", "cc": "抄送", "consult": "加签",
         "opinion": "提出加签意见"}
# 加签: the person asked answers before the reviewer decides, or after the reviewer's approval (an extra approval
# before the next step).
CONSULT_BEFORE, CONSULT_AFTER = "before", "after"
CONSULT_CHOICES = ((CONSULT_BEFORE, "前加签：征求意见后由本人决定"), (CONSULT_AFTER, "后加签：本人通过后再由其审批"))
# Where a 退回修改 sends the resubmission: straight back to the returning step, or through the chain again.
RESUME_HERE, RESUME_START = "here", "start"
RESUME_CHOICES = ((RESUME_HERE, "修改后直接回到本环节"), (RESUME_START, "修改后从头重新审核"))

@dataclass(frozen=True)
class Step:
    state: str  # the document's state while it waits at this step
    role: str  # who acts: holders of this role on the document's section or agency
    outside: bool = False  # the role belongs to another organisation: it sees a document only from this step on
    label: str = ""  # the step's name (科室审核); "" takes the state's label from the chain

    @property
    def scope_field(self) -> str:
        """The document's key the role's scope is compared with: ``section`` or ``agency``."""
        return "section" if roles.is_section_role(self.role) else "agency"


class Chain:
    """One approval chain and everything derived from it."""

    def __init__(self, *, author: str, drafting, steps, done: str, labels):
        self.author = author  # drafts, submits, revises, withdraws
        self.drafting = tuple(drafting)  # (draft, returned): where the author edits
        self.draft, self.returned = self.drafting[0], self.drafting[-1]
        self.labels = dict(labels)
        self.steps = tuple(replace(step, label=step.label or self.labels[step.state]) for step in steps)
        self.labels.update({step.state: step.label for step in self.steps})
        self.done = done
        self._step_of = {step.state: step for step in self.steps}
        states = self.review_states
        self._next = {state: (states[i + 1] if i + 1 < len(states) else done) for i, state in enumerate(states)}

    def __repr__(self):
        return f"Chain({' → '.join(self.label(state) for state in self.order)})"

    # ------------------------------------------------------------ derived

    @property
    def first(self) -> Step:
        return self.steps[0]

    @property
    def review_states(self) -> tuple[str, ...]:
        return tuple(step.state for step in self.steps)

    @property
    def order(self) -> tuple[str, ...]:
        """The step bar, left to right (退回修改 is shown on 草稿)."""
        return (self.draft, *self.review_states, self.done)

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.drafting, *self.review_states, self.done)))

    @property
    def state_choices(self) -> list[tuple[str, str]]:
        return [(state, self.label(state)) for state in self.states]

    @property
    def review_roles(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.role for step in self.steps))

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role that acts on the chain: the author's, then each step's."""
        return tuple(dict.fromkeys((self.author, *self.review_roles)))

    def step_for(self, state: str) -> Step | None:
        """The review step a document in ``state`` waits at (None while drafting and when done)."""
        return self._step_of.get(state)

    def next_state(self, state: str) -> str:
        """Where an approval at ``state`` leads."""
        return self._next[state]

    def publishes(self, state: str) -> bool:
        """Does an approval at ``state`` (the last step) end the chain?"""
        return self._next.get(state) == self.done

    def earlier_steps(self, step: Step) -> tuple[Step, ...]:
        return self.steps[: self.steps.index(step)]

    def label(self, state: str) -> str:
        return self.labels.get(state, state)

    def visible_states(self, role: str) -> tuple[str, ...] | None:
        """The states in which a holder of ``role`` sees a document of their scope; None: every state."""
        for index, step in enumerate(self.steps):
            if step.role == role and step.outside:
                return tuple(s.state for s in self.steps[index:]) + (self.done,)
        return None

    def with_step(self, step: Step, *, after: str, label: str = "") -> "Chain":
        """A copy of the chain with ``step`` inserted after the state ``after`` (its label, if its state is new)."""
        steps = list(self.steps)
        at = next(i for i, s in enumerate(steps) if s.state == after) + 1
        steps.insert(at, step)
        labels = {**self.labels, **({step.state: label} if label else {})}
        return Chain(author=self.author, drafting=self.drafting, steps=steps, done=self.done, labels=labels)


# An agency's own documents, drafted by its 局领导: they submit them, finance reviews and publishes them; nobody
# approves alone (the author and the reviewer hold different roles). Declared by such a document as its chain.
AGENCY_CHAIN = Chain(
    author=Role.LEADER,
    drafting=EDITABLE_STATES,
    steps=(Step(SheetState.FINANCE_REVIEW, Role.FINANCE_REVIEWER, outside=True),),
    done=SheetState.PUBLISHED,
    labels=SheetState.choices,
)

CHAIN = Chain(
    author=Role.STAFF,
    drafting=EDITABLE_STATES,  # draft, returned
    steps=(
        Step(SheetState.SECTION_REVIEW, Role.SECTION_HEAD),
        Step(SheetState.LEADER_REVIEW, Role.LEADER),
        Step(SheetState.FINANCE_REVIEW, Role.FINANCE_REVIEWER, outside=True),
    ),
    done=SheetState.PUBLISHED,
    labels=SheetState.choices,
)
