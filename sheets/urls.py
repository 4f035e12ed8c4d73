from django.urls import path

from sheets import downloads, editor, goals, import_views, moves, phrases, views

urlpatterns = [
    path("phrases/", phrases.phrases, name="phrases"),
    path("phrases/<int:pk>/delete/", phrases.phrase_delete, name="phrase_delete"),
    path("sheets/", views.sheet_list, name="sheet_list"),
    path("sheets/rollover/", views.sheets_rollover, name="sheets_rollover"),
    path("sheets/<int:pk>/", views.sheet_detail, name="sheet_detail"),
    path("sheets/<int:pk>/edit/", editor.sheet_edit, name="sheet_edit"),
    path("sheets/<int:pk>/check/", editor.sheet_check, name="sheet_check"),
    path("sheets/<int:pk>/submit/", moves.sheet_submit, name="sheet_submit"),
    path("sheets/<int:pk>/withdraw/", moves.sheet_withdraw, name="sheet_withdraw"),
    path("sheets/<int:pk>/approve/", moves.sheet_approve, name="sheet_approve"),
    path("sheets/<int:pk>/return/", moves.sheet_return, name="sheet_return"),
    path("sheets/<int:pk>/reassign/", moves.sheet_reassign, name="sheet_reassign"),
    path("sheets/<int:pk>/urge/", moves.sheet_urge, name="sheet_urge"),
    path("sheets/<int:pk>/revoke/", moves.sheet_revoke, name="sheet_revoke"),
    path("sheets/<int:pk>/consult/", moves.sheet_consult, name="sheet_consult"),
    path("sheets/<int:pk>/opinion/", moves.sheet_opinion, name="sheet_opinion"),
    path("sheets/<int:pk>/cc/", moves.sheet_cc, name="sheet_cc"),
    path("sheets/<int:pk>/export.docx", downloads.sheet_download, name="sheet_download"),
    path("sheets/<int:pk>/restore/<int:event_id>/", import_views.sheet_restore, name="sheet_restore"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/<int:pk>/", import_views.import_preview, name="import_preview"),
    path("import/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("import/<int:pk>/cancel/", import_views.import_cancel, name="import_cancel"),
    path("goals/", goals.goals_list, name="goals_list"),
    path("goals/<str:code>/<int:year>/", goals.goals_edit, name="goals_edit"),
    path("goals/<str:code>/<int:year>/<str:move>/", goals.goals_move, name="goals_move"),
]
