from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "预算项目与绩效目标"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from projects import receivers
        from projects.models import Checkpoint

        post_save.connect(receivers.on_checkpoint_changed, sender=Checkpoint, dispatch_uid="projects.checkpoint_saved")
        post_delete.connect(receivers.on_checkpoint_changed, sender=Checkpoint, dispatch_uid="projects.checkpoint_deleted")
