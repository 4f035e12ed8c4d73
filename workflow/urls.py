from django.urls import path

from workflow import import_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/done/", views.done_list, name="done_list"),
    path("tasks/batch-approve/", views.inbox_batch_approve, name="inbox_batch_approve"),
    path("phrases/", views.phrases, name="phrases"),
    path("phrases/<int:pk>/delete/", views.phrase_delete, name="phrase_delete"),
    path("sheets/", views.sheet_list, name="sheet_list"),
    path("sheets/rollover/", views.sheets_rollover, name="sheets_rollover"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/edit/", views.sheet_edit, name="sheet_edit"),
    path("sheets/<int:pk>/check/", views.sheet_check, name="sheet_check"),
    path("sheets/<int:pk>/submit/", views.sheet_submit, name="sheet_submit"),
    path("sheets/<int:pk>/withdraw/", views.sheet_withdraw, name="sheet_withdraw"),
    path("sheets/<int:pk>/approve/", views.sheet_approve, name="sheet_approve"),
    path("sheets/<int:pk>/return/", views.sheet_return, name="sheet_return"),
    path("sheets/<int:pk>/reassign/", views.sheet_reassign, name="sheet_reassign"),
    path("sheets/<int:pk>/urge/", views.sheet_urge, name="sheet_urge"),
    path("sheets/<int:pk>/revoke/", views.sheet_revoke, name="sheet_revoke"),
    path("sheets/<int:pk>/export.docx", views.sheet_download, name="sheet_download"),
    path("agencies/<str:code>/<int:year>/package.docx", views.package_download, name="package_download"),
    path("sheets/<int:pk>/restore/<int:event_id>/", import_views.sheet_restore, name="sheet_restore"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("goals/", views.goals_list, name="goals_list"),
    path("goals/<str:code>/<int:year>/", views.goals_edit, name="goals_edit"),
]
