from celery import shared_task

from exports import services


@shared_task(name="exports.tasks.run_export_job", ignore_result=True, acks_late=True)
def run_export_job(job_id: int) -> None:
    services.export_job_run(job_id=job_id)


@shared_task(name="exports.tasks.expire_export_jobs", ignore_result=True)
def expire_export_jobs() -> int:
    return services.export_jobs_expire()


@shared_task(name="exports.tasks.sweep_export_jobs", ignore_result=True)
def sweep_export_jobs() -> dict:
    """Beat runs this every EXPORT_SWEEP_SECONDS: jobs whose task was lost or whose worker stopped."""
    result = services.export_jobs_sweep()
    return {"requeued": len(result.requeued), "failed": len(result.failed)}
