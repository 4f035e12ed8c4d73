from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息通知"

    def ready(self):
        from django.db.models.signals import pre_delete

        from notifications import checks, receivers  # noqa: F401 (checks registers notifications.W001)
        from projects.models import TargetSheet
        from workflow.signals import event_recorded

        event_recorded.connect(receivers.on_sheet_event, dispatch_uid="notifications.on_sheet_event")
        pre_delete.connect(receivers.on_sheet_deleting, sender=TargetSheet, dispatch_uid="notifications.sheet_deleting")
