from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息通知"

    def ready(self):
        from django.db.models.signals import pre_delete

        from notifications import checks, receivers  # noqa: F401 (checks registers notifications.W001)
        from workflow.documents import document_types
        from workflow.signals import event_recorded

        event_recorded.connect(receivers.on_event, dispatch_uid="notifications.on_event")
        for model in document_types():
            pre_delete.connect(receivers.on_document_deleting, sender=model, dispatch_uid=f"notifications.deleting.{model._meta.label}")
