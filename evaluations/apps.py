from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = "绩效自评"

    def ready(self):
        from evaluations.department import DEPARTMENT_CHAIN
        from evaluations.models import DepartmentEvaluation

        DepartmentEvaluation.approval_chain = DEPARTMENT_CHAIN  # 部门整体自评: 局领导 → 财政审核 → 已公开
