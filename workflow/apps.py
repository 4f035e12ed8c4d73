from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "workflow"
    verbose_name = "审批流程"

    def ready(self):
        from people.signals import role_revoked
        from projects.signals import sheets_moved
        from workflow import checks, receivers  # noqa: F401 — checks registers the deploy check

        role_revoked.connect(receivers.on_role_revoked, dispatch_uid="workflow.on_role_revoked")
        sheets_moved.connect(receivers.on_sheets_moved, dispatch_uid="workflow.on_sheets_moved")
