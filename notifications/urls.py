"""Included at the site root by config/urls.py: ``path("", include("notifications.urls"))``."""

from django.urls import path

from notifications import api, views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/preferences/", views.notification_preferences, name="notification_preferences"),
    path("api/notifications/", api.notification_list, name="api_notification_list"),
    path("api/notifications/<int:pk>/read/", api.notification_read, name="api_notification_read"),
    path("api/notifications/read-all/", api.notifications_read_all, name="api_notifications_read_all"),
]
