"""The approval chains of the sheets' app, apart from its views: the app reads them when it is ready (every process,
every command), which should not load the pages' modules."""

from __future__ import annotations

from people.roles import Role
from projects.models import EDITABLE_STATES, SheetState
from workflow.steps import Chain, Step

# 部门整体绩效目标 on the approval engine (issue 22 item 3): the agency's 局领导 drafts and submits them, finance reviews
# them and publishes them with the sheets; nobody approves alone (the author and the reviewer hold different roles).
GOALS_CHAIN = Chain(
    author=Role.LEADER,
    drafting=EDITABLE_STATES,
    steps=(Step(SheetState.FINANCE_REVIEW, Role.FINANCE_REVIEWER, outside=True),),
    done=SheetState.PUBLISHED,
    labels=SheetState.choices,
)
