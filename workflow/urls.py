from django.urls import path

from workflow import views

urlpatterns = [
    path("", views.home, name="home"),
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/done/", views.done_list, name="done_list"),
    path("tasks/batch-approve/", views.inbox_batch_approve, name="inbox_batch_approve"),
]
