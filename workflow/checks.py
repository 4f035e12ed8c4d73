"""``manage.py check --deploy`` warns when a document's approval state disagrees with itself (see ``check_workflow``): a deploy
check, so no other command runs it, read a chunk of documents at a time."""

from django.core import checks
from django.db import DatabaseError


@checks.register("workflow", deploy=True)
def workflow_consistent(app_configs=None, **kwargs):
    from workflow.integrity import divergences_iter

    count, first = 0, []
    try:
        for item in divergences_iter():  # chunk by chunk: a count and the first five are kept, not the province
            count += 1
            if len(first) < 5:
                first.append(item)
    except DatabaseError:  # no database yet (first deploy before migrate): nothing to compare
        return []
    if not count:
        return []
    listed = "；".join(str(d) for d in first) + ("……" if count > 5 else "")
    return [checks.Warning(
        f"{count} 处审批状态与项目、转办人或办理记录不一致：{listed}",
        hint="运行 manage.py check_workflow 查看全部，manage.py check_workflow --repair 修复（每份文件记入办理记录）。",
        id="workflow.W001",
    )]
