from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "sheets"
    verbose_name = "绩效目标表"

    def ready(self):
        from projects.models import DepartmentGoals
        from sheets.chains import GOALS_CHAIN

        DepartmentGoals.approval_chain = GOALS_CHAIN  # 部门整体绩效目标: 局领导 → 财政审核 → 已公开
