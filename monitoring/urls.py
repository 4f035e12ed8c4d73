from django.urls import path

from monitoring import views

urlpatterns = [
    path("monitoring/", views.county_monitoring, name="county_monitoring"),
    path("sheets/<int:pk>/monitoring/", views.sheet_monitoring, name="sheet_monitoring"),
    path("sheets/<int:pk>/monitoring/<str:point>/", views.monitoring_report, name="monitoring_report"),
    path("sheets/<int:pk>/monitoring/<str:point>/export.docx", views.monitoring_report_docx, name="monitoring_report_docx"),
    path("sheets/<int:pk>/monitoring/<str:point>/<str:move>/", views.monitoring_report_move, name="monitoring_report_move"),
    path("monitoring/reports/<int:pk>/", views.monitoring_report_by_id, name="monitoring_report_by_id"),
    path("monitoring/disposals/<int:pk>/", views.monitoring_disposal, name="monitoring_disposal"),
    path("monitoring/disposals/<int:pk>/<str:move>/", views.monitoring_disposal_move, name="monitoring_disposal_move"),
]
