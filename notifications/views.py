"""The notification centre: list, mark read, open, preferences. Every page shows only the signed-in user's rows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.pagination import keyset_page, page_size
from notifications import delivery, inbox, selectors
from notifications.forms import PreferenceForm
from workflow import selectors as workflow_selectors

PAGE_SIZE = 30


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    search = workflow_selectors.search_text(request.GET.get("q"))
    notifications = selectors.inbox(request.user, search=search)
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = keyset_page(
        notifications, ("-created", "-id"), cursor=request.GET.get("cursor"),
        size=page_size(request.GET.get("size"), default=PAGE_SIZE), params={"unread": "1" if unread_only else "", "q": search},
    )
    context = {"page": page, "unread_only": unread_only, "nav": "notifications", "search": search}
    return render(request, "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request, pk):
    """Mark one of the user's notifications read; with ``open`` go on to the page it links to."""
    notification = get_object_or_404(selectors.inbox(request.user), pk=pk)
    inbox.notification_mark_read(notification=notification)
    if request.POST.get("open") and notification.url:
        return redirect(notification.url)
    return redirect("notification_list")


@login_required
@require_POST
def notifications_read_all(request):
    count = inbox.notifications_mark_all_read(user=request.user)
    messages.success(request, f"已将 {count} 条通知标为已读。" if count else "没有未读通知。")
    return redirect("notification_list")


@login_required
def notification_preferences(request):
    preference = inbox.preference_for(request.user)
    initial = {"email_enabled": preference.email_enabled, "wecom_enabled": preference.wecom_enabled}
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, initial=initial, wecom_userid=preference.wecom_userid)
    if request.method == "POST" and form.is_valid():
        inbox.preference_update(user=request.user, **form.cleaned_data)
        messages.success(request, "通知设置已保存。")
        return redirect("notification_preferences")
    context = {
        "form": form, "nav": "notifications", "email": request.user.email, "wecom_userid": preference.wecom_userid,
        "wecom_available": delivery.wecom_configured(),
    }
    return render(request, "notifications/preferences.html", context, status=400 if form.errors else 200)
