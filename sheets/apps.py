from django.apps import AppConfig


class SheetsConfig(AppConfig):
    name = "sheets"
    verbose_name = "绩效目标表"

    def ready(self):
        from projects.models import DepartmentGoals
        from workflow.steps import AGENCY_CHAIN

        DepartmentGoals.approval_chain = AGENCY_CHAIN  # 部门整体绩效目标: 局领导 → 财政审核 → 已公开
