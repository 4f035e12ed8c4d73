"""What an import preview shows: per sheet of the document 新建 / 更新 (with its diff) / 内容相同 / 拒绝, and whether the
department goals change (built by ``sheets.word_import``, shown by ``templates/sheets/import_preview.html``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from sheets.snapshots import FieldChange, SnapshotDiff

GOALS_KEY = "goals"  # expected_versions' entry for the department goals (sheet entries are ids)
GOALS_PARTS = {"overall": "总体绩效目标", "itemized": "分项绩效目标", "safeguards": "工作保障措施"}
KIND_LABELS = {"created": "新建", "updated": "更新", "unchanged": "内容相同", "refused": "拒绝"}
KIND_CLASSES = {
    "created": "state state-published", "updated": "state state-section_review", "unchanged": "state state-draft",
    "refused": "state error",
}  # app.css badges


@dataclass
class SheetPreview:
    """What the import does to one sheet of the document."""

    kind: str  # "created" | "updated" | "unchanged" (the draft holds the document's content: left alone) | "refused"
    code: str  # 项目编码
    title: str
    number: int = 0  # its N in the document ("N.<项目名称>绩效目标表")
    sheet_id: int | None = None  # the existing sheet (updated, or refused when it exists)
    version: int | None = None  # its version before the import
    reason: str = ""  # why it is refused
    diff: SnapshotDiff | None = None  # updated: the current draft → the imported content
    last_editor: str = ""  # who last saved the current draft, and when
    last_edited: datetime.datetime | None = None
    after: dict | None = None  # created: the content it would get

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def kind_class(self) -> str:
        return KIND_CLASSES[self.kind]

    @property
    def change_count(self) -> int:
        """How many changes the preview lists: each field, plan point and indicator row (added, removed or changed) once."""
        if self.diff is None:
            return 0
        return len(self.diff.fields) + len(self.diff.plan) + len(self.diff.rows)

    @property
    def indicator_count(self) -> int:
        return len((self.after or {}).get("indicators", []))


@dataclass
class GoalsPreview:
    """部门整体绩效目标: in the document? written by this import? which parts change?"""

    in_document: bool
    written: bool
    changes: list[FieldChange] = field(default_factory=list)
    fingerprint: str = ""  # of the goals the preview compared with (see ``sheets.word_import._goals_fingerprint``)

    @property
    def label(self) -> str:
        if not self.in_document:
            return "文件中没有部门整体绩效目标，不会修改。"
        if not self.written:
            return "本次导入不修改部门整体绩效目标（由局领导维护）。"
        if not self.changes:
            return "部门整体绩效目标与当前内容相同，不会变化。"
        return "部门整体绩效目标将更新：" + "、".join(c.label for c in self.changes) + "。"

    @property
    def will_change(self) -> bool:
        return self.written and bool(self.changes)


@dataclass
class ImportPreview:
    file_name: str
    year: int
    agency: str  # the agency's unit line, e.g. 483001乐亭县行政审批局本级
    sheets: list[SheetPreview]
    goals: GoalsPreview
    stale: str = ""  # set when a draft changed since the upload was previewed: confirming is refused
    notes: list[str] = field(default_factory=list)  # what the import leaves alone on purpose (a published project's name)

    def _of(self, kind: str) -> list[SheetPreview]:
        return [s for s in self.sheets if s.kind == kind]

    @property
    def created(self) -> list[SheetPreview]:
        return self._of("created")

    @property
    def updated(self) -> list[SheetPreview]:
        return self._of("updated")

    @property
    def unchanged(self) -> list[SheetPreview]:
        return self._of("unchanged")

    @property
    def refused(self) -> list[SheetPreview]:
        return self._of("refused")

    @property
    def expected_versions(self) -> dict[str, int]:
        """{sheet id: version} of the drafts the import would update or leave as they are (JSON keys are strings), and
        under ``GOALS_KEY`` the fingerprint of the department goals when the import writes them."""
        expected: dict = {str(s.sheet_id): s.version for s in self.updated + self.unchanged}
        if self.goals.written:
            expected[GOALS_KEY] = self.goals.fingerprint
        return expected

    def summary(self) -> str:
        parts = [f"新建 {len(self.created)} 张", f"更新 {len(self.updated)} 张", f"拒绝 {len(self.refused)} 张"]
        if self.unchanged:
            parts.append(f"内容相同未改动 {len(self.unchanged)} 张")
        if self.goals.will_change:
            parts.append("部门整体绩效目标将更新")
        return f"{self.agency} {self.year}年：" + "，".join(parts)
