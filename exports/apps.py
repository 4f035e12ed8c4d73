from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "导出（Excel 与 Word 汇总）"

    def ready(self):
        from django.db.models.signals import post_delete

        from exports import receivers
        from exports.models import ExportJob

        post_delete.connect(receivers.on_export_job_deleted, sender=ExportJob, dispatch_uid="exports.on_export_job_deleted")
