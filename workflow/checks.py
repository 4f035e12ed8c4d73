"""``manage.py check --deploy`` warns when sheets' approval state disagrees with itself (see ``check_workflow``)."""

from django.core import checks
from django.db import DatabaseError


@checks.register("workflow", deploy=True)
def workflow_consistent(app_configs=None, **kwargs):
    from workflow.integrity import divergences

    try:
        found = divergences()
    except DatabaseError:  # no database yet (first deploy before migrate): nothing to compare
        return []
    if not found:
        return []
    listed = "；".join(str(d) for d in found[:5]) + ("……" if len(found) > 5 else "")
    return [checks.Warning(
        f"{len(found)} 处绩效目标表的审批状态与项目、转办人或办理记录不一致：{listed}",
        hint="运行 manage.py check_workflow 查看全部，manage.py check_workflow --repair 修复（每张表记入办理记录）。",
        id="workflow.W001",
    )]
