"""Plain data exchanged between the Word reader/writer and the domain.

Nothing here imports Django: the reader turns a .docx into these objects and
the writer turns these objects into a .docx, so both can be tested on files
alone. ``projects.services`` maps them onto models and back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from core.errors import AppError


class DocxReadError(AppError):
    """A document that cannot be read (the application's one error type, status 400). ``str(error)`` is a
    Chinese message naming the file, and where known the table number and the field."""

    def __init__(self, message: str, *, filename: str = "", table: int | None = None, field: str = ""):
        self.reason = message
        self.filename = filename
        self.table = table
        self.field = field
        super().__init__(self._compose(), status=400, code="unreadable_document")

    def _compose(self) -> str:
        where = []
        if self.filename:
            where.append(f"文件“{self.filename}”")
        if self.table is not None:
            where.append(f"第{self.table}个表格")
        if self.field:
            where.append(f"“{self.field}”")
        prefix = "，".join(where)
        return f"{prefix}：{self.reason}" if prefix else self.reason


@dataclass
class IndicatorData:
    category: str  # 一级指标, e.g. 产出指标
    subcategory: str  # 二级指标, e.g. 数量指标
    name: str  # 三级指标
    description: str  # 绩效指标描述
    target_value: str  # 指标值, exactly as written
    basis: str  # 指标值确定依据


@dataclass
class PlanPointData:
    label: str  # e.g. "3月底"
    month: int  # 3
    percent: Decimal  # cumulative percent, e.g. Decimal("25")


@dataclass
class SheetData:
    number: int  # the N in "N.<项目名称>绩效目标表" (1-based order in the package)
    title: str  # the heading's project name, e.g. 公共资源交易中心经费
    agency_code: str
    agency_name: str
    project_code: str
    project_name: str
    budget_total: Decimal
    fiscal_funds: Decimal
    other_funds: Decimal
    purpose: str
    plan: list[PlanPointData]
    goal: str
    indicators: list[IndicatorData] = field(default_factory=list)
    # Not in the document's tables: the writer marks a sheet that is not published “草稿 — 未审定”
    # (with its state's label) and names the year in the file's properties.
    published: bool = True
    state_label: str = ""
    year: int | None = None
    # 目标调整: the 年初 预算数 of a sheet an approved adjustment changed, written beside today's (None: unchanged)
    original_budget: Decimal | None = None


@dataclass
class DepartmentGoalsData:
    overall: list[str] = field(default_factory=list)  # 一、总体绩效目标 paragraphs
    itemized: list[str] = field(default_factory=list)  # 二、分项绩效目标 paragraphs
    safeguards: list[str] = field(default_factory=list)  # 三、工作保障措施 paragraphs

    def is_empty(self) -> bool:
        return not (self.overall or self.itemized or self.safeguards)


@dataclass
class DocumentData:
    agency_code: str
    agency_name: str
    goals: DepartmentGoalsData
    sheets: list[SheetData]
    year: int | None = None  # the file's properties name it; the reader leaves it unknown
    # The title page of an exported package (not read back): which sheets it holds (全部 / 已公开) and when it was made.
    scope: str = ""
    generated: datetime.date | None = None
