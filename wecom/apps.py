from django.apps import AppConfig


class WecomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wecom"
    verbose_name = "企业微信"

    def ready(self):
        from wecom import receivers
        from workflow.signals import sheet_event_recorded

        sheet_event_recorded.connect(receivers.on_sheet_event, dispatch_uid="wecom.on_sheet_event")
