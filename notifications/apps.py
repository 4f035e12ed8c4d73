from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "消息通知"

    def ready(self):
        from notifications import receivers
        from workflow.signals import sheet_event_recorded

        sheet_event_recorded.connect(receivers.on_sheet_event, dispatch_uid="notifications.on_sheet_event")
