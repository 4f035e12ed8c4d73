"""A job's file goes with its job: deleted once the deletion commits (expiry, the owner's account deleted, admin)."""

from __future__ import annotations

from django.db import transaction


def on_export_job_deleted(sender, instance, **kwargs) -> None:
    from exports import services  # here, not at start-up: it brings the Excel and Word writers

    path = services.job_file(instance)
    if path is not None:
        transaction.on_commit(lambda: services.export_file_remove(path))
