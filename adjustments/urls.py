"""Included at the site root by config/urls.py."""

from django.urls import path

from adjustments import api, views

urlpatterns = [
    path("sheets/<int:pk>/adjust/", views.adjustment_new, name="adjustment_new"),
    path("public/sheets/<int:pk>/versions/<int:version_id>/export.docx", views.version_download, name="version_download"),
    path("sheets/<int:pk>/discard/", views.adjustment_discard, name="adjustment_discard"),
    path("api/sheets/<int:pk>/adjustments/", api.adjustment_open, name="api_adjustment_open"),
    path("api/sheets/<int:pk>/discard/", api.adjustment_discard, name="api_adjustment_discard"),
]
