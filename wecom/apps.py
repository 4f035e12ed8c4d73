from django.apps import AppConfig


class WecomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wecom"
    verbose_name = "企业微信"

    def ready(self):
        from notifications.signals import event_notified
        from wecom import receivers

        event_notified.connect(receivers.on_event_notified, dispatch_uid="wecom.on_event_notified")
