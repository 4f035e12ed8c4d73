import os
import pytest
from django.db.models import Q
from tests.workflow import test_approval_invariant as m
from tests.workflow.test_approval_invariant import test_approval_state_stays_consistent_under_random_moves, world  # noqa: F401
from projects.signals import sheets_moved
from people.signals import role_revoked
from workflow import receivers, selectors

MUTANT = os.environ["MUTANT"]

@pytest.fixture(autouse=True)
def mutant(monkeypatch):
    if MUTANT == "move":
        sheets_moved.disconnect(dispatch_uid="workflow.on_sheets_moved")
    if MUTANT == "revoke":
        role_revoked.disconnect(dispatch_uid="workflow.on_role_revoked")
    if MUTANT == "tasks":
        def review_tasks(user):
            scope = Q(pk__in=[])
            for step in selectors.approval.REVIEW_STEPS:
                ids = selectors.roles.scope_ids(user, step.role)
                if ids:
                    scope |= Q(state=step.state, **{f"{step.scope_field}_id__in": ids})
            return selectors.TargetSheet.objects.filter(scope)
        monkeypatch.setattr(m, "review_tasks", review_tasks)
    yield
    sheets_moved.connect(receivers.on_sheets_moved, dispatch_uid="workflow.on_sheets_moved")
    role_revoked.connect(receivers.on_role_revoked, dispatch_uid="workflow.on_role_revoked")
