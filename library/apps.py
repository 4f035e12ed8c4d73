from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = "指标库"

    def ready(self):
        from library import receivers
        from projects.signals import sheet_content_replaced
        from workflow.signals import event_recorded

        sheet_content_replaced.connect(receivers.on_sheet_content_replaced, dispatch_uid="library.on_sheet_content_replaced")
        event_recorded.connect(receivers.on_sheet_event, dispatch_uid="library.on_sheet_event")
