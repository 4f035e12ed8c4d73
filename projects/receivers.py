"""Keeps the sheets' stored checker verdicts current when what the checker reads besides the content changes."""


def on_checkpoint_changed(sender, instance, **kwargs) -> None:
    """A year's checkpoints are part of every sheet's plan check (one point per checkpoint): a checkpoint added,
    moved or deleted (admin) leaves the year's stored verdicts unknown until the content is next written."""
    if instance.fiscal_year_id is not None:
        from projects import services  # here, not at start-up

        services.sheet_verdicts_forget(fiscal_year_id=instance.fiscal_year_id)
