from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "绩效自评"

    def ready(self):
        from evaluations.models import DepartmentEvaluation
        from workflow.steps import AGENCY_CHAIN

        DepartmentEvaluation.approval_chain = AGENCY_CHAIN  # 部门整体自评: 局领导 → 财政审核 → 已公开
