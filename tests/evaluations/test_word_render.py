"""The Word 自评表 as it prints: the worked example, published, downloaded from the public page, rendered through
LibreOffice to PDF and read back (pdfplumber). One landscape page; every column inside the page; the scores and the
grade where the common layout puts them. The page is written to tests/artifacts/docx/ to be looked at."""

from __future__ import annotations

import shutil

import pdfplumber
import pytest
from django.test import Client

from tests.evaluations.test_publication import _published
from tests.evaluations.test_department import goals  # noqa: F401 — the fixture
from tests.projects.test_docx_rendering import ARTIFACTS, OFFICE, render

pytestmark = pytest.mark.skipif(OFFICE is None, reason="LibreOffice is not installed")


def test_the_worked_example_prints_on_one_landscape_page(org, evaluation, tmp_path):
    evaluation = _published(org, evaluation, spent="46")
    word = Client().get(f"/public/evaluations/{evaluation.pk}/evaluation.docx")
    path = tmp_path / "evaluation.docx"
    path.write_bytes(b"".join(word.streaming_content))
    with pdfplumber.open(render(path, tmp_path)) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.to_image(resolution=90).save(str(ARTIFACTS / "evaluation-page01.png"))
        assert page.width > page.height  # landscape
        text = page.extract_text().replace(" ", "").replace("\n", "")
        for expected in ("项目支出绩效自评表", "（2024年度）", "年初预算数", "调整后预算数", "执行率", "92.00%", "9.20",
                         "指标性质", "度量单位", "实际完成值", "未完成原因分析", "9000件", "27.00", "11.25", "10.50",
                         "87.95", "等级：良", "评价结论", "存在问题", "改进措施"):
            assert expected in text, expected
        for table in page.find_tables():
            assert table.bbox[0] >= 0 and table.bbox[2] <= page.width
    shutil.copy(path, ARTIFACTS / "evaluation.docx")


def test_the_department_wide_table_prints_on_one_landscape_page(org, goals, tmp_path):  # noqa: F811
    """The 部门整体支出绩效自评表 of test_department's worked example (86.20, 良), published, downloaded from its public
    page and rendered through LibreOffice: one landscape page, every column inside it, the goals and scores there."""
    from django.utils import timezone

    from evaluations.models import DepartmentEvaluation
    from tests.evaluations.test_department_doors import _scored

    evaluation = _scored(org)
    DepartmentEvaluation.objects.filter(pk=evaluation.pk).update(state="published", state_since=timezone.now())
    word = Client().get(f"/public/department-evaluations/{evaluation.pk}/evaluation.docx")
    path = tmp_path / "department.docx"
    path.write_bytes(b"".join(word.streaming_content))
    with pdfplumber.open(render(path, tmp_path)) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.to_image(resolution=90).save(str(ARTIFACTS / "department-evaluation-page01.png"))
        assert page.width > page.height
        text = page.extract_text().replace(" ", "").replace("\n", "")
        for expected in ("部门整体支出绩效自评表", "（2024年度）", "部门预算资金", "92.00%", "9.20", "全年办理审批事项不少于1万件",
                         "9000件", "27.00", "20.00", "86.20", "等级：良", "评价结论"):
            assert expected in text, expected
        for table in page.find_tables():
            assert table.bbox[0] >= 0 and table.bbox[2] <= page.width
    shutil.copy(path, ARTIFACTS / "department-evaluation.docx")
