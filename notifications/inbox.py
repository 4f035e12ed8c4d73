"""The notification centre's writes: a person marks their notifications read and chooses their channels."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.models import Channel, Notification, Preference


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification



def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def preference_update(*, user, email_enabled: bool, wecom_enabled: bool) -> Preference:
    """The person's own choice of channels; their WeCom id is set by an administrator (``wecom.services``)."""
    preference, _ = Preference.objects.select_for_update().get_or_create(user=user)
    preference.email_enabled = email_enabled
    preference.wecom_enabled = wecom_enabled
    preference.save(update_fields=["email_enabled", "wecom_enabled"])
    return preference


def preference_for(user) -> Preference:
    """The user's preference, unsaved defaults when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)
