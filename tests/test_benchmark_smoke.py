"""The benchmark harness (``make benchmark``) at SCALE=tiny: it fills its own databases, starts the servers, the
Celery worker and the fake WeCom server, runs every measurement and writes every row of the table. No timing is
asserted: this only keeps the harness from rotting."""

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from benchmarks.bench import ROOT

ROWS = (
    "待办 /tasks/", "/sheets/（科室负责人", "/sheets/（财政审核人", "/sheets/?year=2024&state=published", "文字搜索",
    "/api/sheets/（科室负责人）", "/api/sheets/ 第 N 页", "公开列表", "单位自评总览", "审批（API，HTTP）", "持续审批（HTTP", "目标调整（API，HTTP）", "运行监控汇总", "运行监控：全省已公开的表", "run_reminders", "通知投递",
    "Word 导出", "自评评分", "种子导入（进程内）", "种子导出（进程内）", "种子导入（整个进程", "种子导出（整个进程",
    "200 条指标的草稿", "保存 8 条指标的草稿", "指标库联想", "指标库 /library/（财政审核人", "指标库 /library/（科室负责人",
    "人员与角色", "单位执行进度 /agencies/BEXPORT/spending/", "命令启动 import_targets", "命令启动 export_targets",
    "Excel 导出：全省", "由上年结转",
    "锚点 viewflow 收件箱", "锚点 viewflow 队列", "锚点 viewflow 审批", "事务底线",
)


@pytest.mark.worker
@pytest.mark.smoke
def test_the_harness_writes_every_row_at_tiny_scale(tmp_path):
    database = settings.DATABASES["default"]
    # the harness names its own databases after this one (<name>_bench_tiny and its anchor)
    base = os.environ.get("DATABASE_URL") or f"postgres://postgres@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/targetflow"
    output = tmp_path / "benchmarks.md"
    env = {**os.environ, "DATABASE_URL": base, "REDIS_URL": settings.REDIS_URL or "redis://127.0.0.1:6379/0"}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--scale", "tiny", "--output", str(output)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith(("| 测量", "| ---"))]
    for label in ROWS:
        assert any(label in line for line in table), (label, text)
    assert "<!-- benchmark:tiny:begin -->" in text and "机器：" in text
    # every row was measured: a median in each
    for line in table:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert re.match(r"^[\d,.]+$", cells[1]), line
    # the approvals all went through: the anchor and targetflow each approved every round's batch
    delivery = next(line for line in table if "通知投递" in line)
    assert "sent" in delivery and "failed" not in delivery and "pending" not in delivery, delivery
