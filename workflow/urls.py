from django.urls import path

from workflow import queues

urlpatterns = [
    path("", queues.home, name="home"),
    path("tasks/", queues.inbox, name="inbox"),
    path("tasks/done/", queues.done_list, name="done_list"),
    path("tasks/batch-approve/", queues.inbox_batch_approve, name="inbox_batch_approve"),
]
