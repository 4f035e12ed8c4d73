from django.urls import path

from exports import evaluation_views, views

urlpatterns = [
    path("agencies/<str:code>/<int:year>/package.docx", views.package_download, name="package_download"),
    path("sheets/export.xlsx", views.sheets_xlsx, name="sheet_list_xlsx"),
    path("exports/start/", views.export_start, name="export_start"),
    path("exports/<int:pk>/", views.export_job, name="export_job"),
    path("exports/<int:pk>/status.json", views.export_status, name="export_status"),
    path("exports/<int:pk>/retry/", views.export_retry, name="export_retry"),
    path("exports/<int:pk>/download", views.export_download, name="export_download"),
    path("api/sheets/export.xlsx", views.api_sheets_xlsx, name="api_sheet_list_xlsx"),
    path("api/exports/<int:pk>/", views.api_export_job, name="api_export_job"),
    path("api/exports/<int:pk>/retry/", views.api_export_retry, name="api_export_retry"),
    path("public/evaluations/<int:pk>/evaluation.docx", evaluation_views.public_evaluation_docx, name="public_evaluation_docx"),
    path("public/agencies/<str:code>/<int:year>/evaluations.xlsx", evaluation_views.public_summary_xlsx, name="public_evaluation_xlsx"),
    path("evaluations/<int:pk>/evaluation.docx", evaluation_views.evaluation_docx, name="evaluation_docx"),
    path("public/department-evaluations/<int:pk>/evaluation.docx", evaluation_views.public_department_evaluation_docx,
         name="public_department_evaluation_docx"),
    path("department-evaluations/<int:pk>/evaluation.docx", evaluation_views.department_evaluation_docx,
         name="department_evaluation_docx"),
    path("agencies/<str:code>/<int:year>/evaluations.xlsx", evaluation_views.agency_summary_xlsx, name="agency_evaluation_xlsx"),
    path("api/exports/<int:pk>/download", views.api_export_download, name="api_export_download"),
]
