from django.urls import path

from monitoring import api

urlpatterns = [
    path("monitoring/", api.county_monitoring, name="api_county_monitoring"),
    path("sheets/<int:pk>/monitoring/", api.sheet_monitoring, name="api_sheet_monitoring"),
    path("sheets/<int:pk>/monitoring/<str:point>/", api.monitoring_report, name="api_monitoring_report"),
    path("sheets/<int:pk>/monitoring/<str:point>/<str:move>/", api.monitoring_report_move, name="api_monitoring_report_move"),
    path("monitoring/disposals/<int:pk>/", api.monitoring_disposal, name="api_monitoring_disposal"),
    path("monitoring/disposals/<int:pk>/<str:move>/", api.monitoring_disposal_move, name="api_monitoring_disposal_move"),
]
