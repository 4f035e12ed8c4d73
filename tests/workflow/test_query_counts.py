"""Pages cost a fixed number of queries, however many sheets and tasks there are."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import TargetSheet
from tests.workflow.conftest import drive

PAGES = ("/tasks/", "/sheets/", "/api/sheets/")


def count_queries(client):
    counts = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    return counts


def test_inbox_and_lists_do_not_grow_with_the_number_of_tasks(people):
    head = Client()
    head.force_login(people.head_ggzy)
    drive(TargetSheet.objects.get(position=1), ("submit", people.staff_ggzy))
    count_queries(head)  # warm the content-type cache
    one_task = count_queries(head)
    for position in (2, 3, 4):
        drive(TargetSheet.objects.get(position=position), ("submit", people.staff_ggzy))
    four_tasks = count_queries(head)
    assert four_tasks == one_task
    assert max(one_task.values()) <= 15, one_task
