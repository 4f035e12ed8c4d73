from django.apps import AppConfig


class AdjustmentsConfig(AppConfig):
    name = "adjustments"
    verbose_name = "目标调整"

    def ready(self):
        from adjustments import receivers
        from workflow.signals import event_recorded

        # before notifications' receiver (INSTALLED_APPS order): the move's messages read the applied adjustment
        event_recorded.connect(receivers.on_event, dispatch_uid="adjustments.on_event")
