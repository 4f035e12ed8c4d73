"""What changed between two submissions of a sheet: fields, plan and indicator rows."""

from __future__ import annotations

from dataclasses import dataclass, field

FIELD_LABELS = {
    "project_name": "项目名称",
    "title": "表名",
    "budget_total": "预算数",
    "fiscal_funds": "其中：财政资金",
    "other_funds": "其他资金",
    "purpose": "资金用途",
    "goal": "绩效目标",
}
ROW_FIELDS = ("category", "subcategory", "name", "description", "target_value", "basis")
ROW_LABELS = {
    "category": "一级指标",
    "subcategory": "二级指标",
    "name": "三级指标",
    "description": "绩效指标描述",
    "target_value": "指标值",
    "basis": "指标值确定依据",
}


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class RowChange:
    kind: str  # "added" | "removed" | "changed"
    key: str  # 一级/二级/三级
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return {"added": "新增", "removed": "删除", "changed": "修改"}[self.kind]


@dataclass
class SnapshotDiff:
    fields: list[FieldChange]
    plan: list[FieldChange]
    rows: list[RowChange]

    @property
    def is_empty(self) -> bool:
        return not (self.fields or self.plan or self.rows)


def _row_key(row: dict) -> tuple:
    return (row["category"], row["subcategory"], row["name"])


def diff_snapshots(before: dict | None, after: dict) -> SnapshotDiff:
    """Compare two snapshots (``TargetSheet.snapshot()``); rows are matched by 一级/二级/三级 指标."""
    before = before or {"plan": [], "indicators": []}
    fields = [
        FieldChange(label, str(before.get(name, "")), str(after.get(name, "")))
        for name, label in FIELD_LABELS.items()
        if before.get(name, "") != after.get(name, "")
    ]
    plan_before = {p["label"]: p["percent"] for p in before.get("plan", [])}
    plan_after = {p["label"]: p["percent"] for p in after.get("plan", [])}
    plan = [
        FieldChange(f"支出计划 {label}", _percent(plan_before.get(label)), _percent(plan_after.get(label)))
        for label in dict.fromkeys([*plan_before, *plan_after])
        if plan_before.get(label) != plan_after.get(label)
    ]
    return SnapshotDiff(fields=fields, plan=plan, rows=_row_changes(before["indicators"], after["indicators"]))


def _percent(value) -> str:
    return "" if value is None else f"{value}%"


def _row_changes(before_rows: list[dict], after_rows: list[dict]) -> list[RowChange]:
    before = {_row_key(r): r for r in before_rows}
    after = {_row_key(r): r for r in after_rows}
    changes = []
    for key, row in after.items():
        label = " / ".join(key)
        if key not in before:
            changes.append(RowChange("added", label, [FieldChange("指标值", "", row["target_value"])]))
            continue
        fields = [
            FieldChange(ROW_LABELS[name], before[key][name], row[name])
            for name in ROW_FIELDS
            if before[key][name] != row[name]
        ]
        if fields:
            changes.append(RowChange("changed", label, fields))
    changes += [RowChange("removed", " / ".join(key), []) for key in before if key not in after]
    return changes


def submission_diffs(events) -> dict[int, SnapshotDiff]:
    """For each submission event (ordered oldest first), the diff against the previous submission."""
    diffs = {}
    previous = None
    for event in events:
        if event.action != "submit" or event.snapshot is None:
            continue  # imports and restores keep the content they replaced, not a submission
        if previous is not None:
            diffs[event.pk] = diff_snapshots(previous, event.snapshot)
        previous = event.snapshot
    return diffs
