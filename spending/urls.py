"""Included at the site root by config/urls.py: ``path("", include("spending.urls"))``."""

from django.urls import path

from spending import api as spend_api, views as spend_views

urlpatterns = [
    path("sheets/<int:pk>/spending/", spend_views.sheet_spending, name="sheet_spending"),
    path("agencies/<str:code>/spending/", spend_views.agency_spending, name="agency_spending"),
    path("api/sheets/<int:pk>/spend-reports/", spend_api.spend_reports, name="api_spend_reports"),
]
