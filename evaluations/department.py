"""部门整体自评 (issue 22 item 2): the department-wide self-evaluation's chain. The agency's 局领导 drafts it (as
they draft the department-wide goals) and submits it to finance, whose approval publishes it."""

from projects.models import EDITABLE_STATES, SheetState
from people.roles import Role
from workflow.steps import Chain, Step

DEPARTMENT_CHAIN = Chain(
    author=Role.LEADER,
    drafting=EDITABLE_STATES,
    steps=(Step(SheetState.FINANCE_REVIEW, Role.FINANCE_REVIEWER, outside=True),),
    done=SheetState.PUBLISHED,
    labels=SheetState.choices,
)
