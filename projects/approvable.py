"""The columns every document the approval engine (``workflow``) moves carries, and their indexes.

A document (a target sheet today; an adjustment, a 处置 decision, a self-evaluation later) inherits ``Approvable``;
``workflow.documents`` lists the rest a document supplies (its label, title, URL, content check, snapshot). The
approval columns are written only by the engine's flow (``workflow.flow.ApprovalFlow``, viewflow.fsm), the scope keys
(``agency``, ``section``) by the document's own services; every write bumps ``version`` (a write based on an older
version is refused). This module lives below ``workflow`` so that a document model of ``projects`` can inherit it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Approvable(models.Model):
    """An abstract document on the approval chain. A concrete document names its own ``state`` choices (its states)
    and its related names; ``approval_indexes`` gives the indexes the engine's queues and lists read."""

    # The scope keys: a role held on the section or the agency acts on the document (indexed: 待办 filters on them).
    agency = models.ForeignKey("projects.Agency", verbose_name="预算单位", on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey(
        "projects.Section", verbose_name="科室", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The approval state: written only by ``workflow.flow.ApprovalFlow`` (viewflow.fsm).
    state = models.CharField("状态", max_length=20, db_index=True)
    state_since = models.DateTimeField("进入当前状态时间", null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="当前步骤转办给", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="转办后只有此人可以办理当前步骤；为空时该步骤的所有角色持有人都可以办理",
    )
    # The round of review under way (since the last submission): the user ids of who submitted it, then of who approved
    # each step passed, as ",<id>,<id>," — none of them reviews this round again (提交与审核分离). Written only by the
    # flow, empty outside the review steps, checked against the history by ``check_workflow``. On the row so that a
    # permission check reads nothing more and 待办 filters the rows it reads. (A database default too: rows inserted
    # in SQL, as ``benchmarks/fill.py`` does, start with no round.)
    round_actors = models.CharField("本轮提交人与审核人", max_length=200, blank=True, default="", db_default="", editable=False)
    # 加签: the one person whose opinion the current step waits for (written only by the flow). Before the reviewer
    # decides (``consult_after`` false: the step is assigned to the reviewer who asked, who decides once the opinion is
    # in), or after the reviewer's approval (true: the next step waits for this extra approval; a disagreement takes
    # the approval back to the reviewer). Cleared by the opinion and by any move of the document to another state.
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="加签人", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="加签：当前等待此人的意见",
    )
    consult_after = models.BooleanField("后加签", default=False, db_default=False, editable=False)
    # Every write (content or state) bumps the version: a write based on an older version is refused.
    version = models.PositiveIntegerField("版本", default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="最后修改人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True

    def bump_version(self, user=None) -> None:
        """Mark a write: the next version, and who made it (saved with the caller's ``save``)."""
        self.version += 1
        self.updated_by = user if (user is not None and getattr(user, "is_authenticated", False)) else None

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    # ``check_workflow`` (``workflow.integrity``): a document whose scope keys copy another row's (a sheet's copy its
    # project's) says where they disagree, as ``(id, code, message)``, and sets them right under its lock, answering
    # what it did. A document that copies nothing has nothing to say.
    @classmethod
    def approval_scope_divergences(cls, documents) -> list[tuple[int, str, str]]:
        return []

    def approval_scope_repair(self, codes) -> list[str]:
        return []


def approval_indexes(prefix: str) -> list[models.Index]:
    """The indexes of a document's approval columns, named ``<prefix>_…``: 待办 by the section's or the agency's
    steps (scope key, state) and its order (the oldest waiting at a step first: state, state_since, id)."""
    return [
        models.Index(fields=["section", "state"], name=f"{prefix}_section_state"),
        models.Index(fields=["agency", "state"], name=f"{prefix}_agency_state"),
        models.Index(fields=["state", "state_since", "id"], name=f"{prefix}_state_waiting"),
    ]
