"""Pages cost a fixed number of queries, however many sheets and tasks there are."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import TargetSheet
from tests.support import drive

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


LISTS = ("/sheets/", "/api/sheets/", "/public/", "/sheets/?year=2024&q=P0", "/sheets/?errors=1", "/tasks/done/")


def _more_published_sheets(count: int, *, start: int) -> None:
    """``count`` published sheets with content (plan and indicators) in the demo's sections, in bulk."""
    from projects.models import Indicator, Project, SpendPlan
    from projects.services import sheet_verdicts_fill

    template = TargetSheet.objects.select_related("project").get(position=1, fiscal_year__year=2024)
    sections = list(template.agency.sections.all())
    for n in range(start, start + count):
        section = sections[n % len(sections)]
        project = Project.objects.create(agency=template.agency, section=section, code=f"13022524P0QC{n:06d}", name=f"查询计数项目{n}")
        sheet = TargetSheet.objects.create(
            project=project, fiscal_year=template.fiscal_year, agency=template.agency, section=section, position=100 + n,
            budget_total=template.budget_total, fiscal_funds=template.fiscal_funds, purpose="p", goal="g", state="published",
        )
        SpendPlan.objects.bulk_create(SpendPlan(sheet=sheet, checkpoint=p.checkpoint, cumulative_percent=p.cumulative_percent) for p in template.plan.all())
        Indicator.objects.bulk_create(
            Indicator(sheet=sheet, order=i.order, category=i.category, subcategory=i.subcategory, name=i.name, target_value=i.target_value)
            for i in template.indicators.all()
        )
    sheet_verdicts_fill()  # rows written in bulk, outside sheet_content_replace: their checker verdicts, as a fill does


def test_a_page_of_sheets_without_a_stored_verdict_reads_them_whole_in_four_more_queries(people):
    """Rows written outside ``sheet_content_replace`` have no stored verdict: the list checks them, still a fixed
    number of queries (the shown rows read again whole, with their content: the list reads only a row's columns)."""
    head = Client()
    head.force_login(people.head_ggzy)
    _list_queries(head)
    known = _list_queries(head)
    TargetSheet.objects.update(check_errors=None, check_warnings=None)
    unknown = _list_queries(head)
    assert unknown["/sheets/"] == known["/sheets/"] + 4 and unknown["/public/"] == known["/public/"]


def _list_queries(client) -> dict:
    counts = {}
    for url in LISTS:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
            assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_lists_cost_at_most_12_queries_however_many_sheets_there_are(people):
    """/sheets/, /api/sheets/ and /public/ (and 已办) read one page: the same queries for 9 sheets and for 130 (> 2 pages)."""
    head = Client()
    head.force_login(people.head_ggzy)
    drive(TargetSheet.objects.get(position=1), ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    _list_queries(head)  # warm the content-type cache
    few = _list_queries(head)
    _more_published_sheets(121, start=0)
    many = _list_queries(head)
    assert many == few
    assert max(many.values()) <= 12, many
    page = head.get("/sheets/")
    assert page.content.decode().count('href="/sheets/') - page.content.decode().count('href="/sheets/?') >= 50
    assert "下一页" in page.content.decode()
    public = head.get("/public/").content.decode()
    assert "下一页" in public and public.count("查询计数项目") == 50  # the default page size


def test_an_approval_over_the_api_costs_at_most_9_queries(people):
    """科室审核 通过 through the API: the sheet is read once under its lock (no content before or after the move), the
    event and its notifications are written in one transaction, and the answer is built from the move itself."""
    head = Client()
    head.force_login(people.head_ggzy)
    first, second = (TargetSheet.objects.get(position=p) for p in (1, 2))
    for sheet in (first, second):
        drive(sheet, ("submit", people.staff_ggzy))
    assert head.post(f"/api/sheets/{first.pk}/approve/", {"comment": ""}, content_type="application/json").status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = head.post(f"/api/sheets/{second.pk}/approve/", {"comment": "同意"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["state"] == "leader_review" and response.json()["event"]["comment"] == "同意"
    second.refresh_from_db()
    assert second.state == "leader_review" and response["ETag"] == second.etag
    # SAVEPOINT/RELEASE only exist because the test runs inside a transaction; over HTTP they are not sent
    queries = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(queries) <= 9, "\n".join(sql[:120] for sql in queries)


def test_with_a_worker_an_approval_over_the_api_costs_at_most_6_queries(people):
    """With Redis and a worker the approval records its notifications for the worker (one INSERT) instead of reading
    the next step's role holders, settling the handled task and writing the rows in the request."""
    from config.celery import app
    from notifications.models import PendingFanOut

    head = Client()
    head.force_login(people.head_ggzy)
    first, second = (TargetSheet.objects.get(position=p) for p in (1, 2))
    for sheet in (first, second):
        drive(sheet, ("submit", people.staff_ggzy))
    saved = app.conf.CELERY_TASK_ALWAYS_EAGER  # the app reads Django's CELERY_* names
    app.conf.CELERY_TASK_ALWAYS_EAGER = False
    try:
        assert head.post(f"/api/sheets/{first.pk}/approve/", {"comment": ""}, content_type="application/json").status_code == 200
        with CaptureQueriesContext(connection) as captured:
            response = head.post(f"/api/sheets/{second.pk}/approve/", {"comment": "同意"}, content_type="application/json")
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = saved
    assert response.status_code == 200 and response.json()["state"] == "leader_review"
    assert PendingFanOut.objects.filter(sheet=second).count() == 1
    queries = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(queries) <= 6, "\n".join(sql[:120] for sql in queries)
