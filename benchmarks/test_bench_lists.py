"""On demand (`make benchmark`): the lists and the daily reminders at scale.

Fills PostgreSQL with BENCH_PROCESSES sheets (default 200,000) over 1,000 sections of 200
agencies — half published, the rest waiting at a review step — and one 经办人 per section,
then times what a section head's /sheets/ and /api/sheets/ cost (the province's published
sheets are all visible to them), the public list, a text search, and ``run_reminders`` for
2024-06-23 (7 days before 6月底: one reminder per published sheet to its section's staff).
Prints the queries of each; no timing assertions.
"""

import datetime
import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from guardian.models import UserObjectPermission

from notifications import services
from notifications.models import Notification
from projects.models import Agency, FiscalYear, Section

PROCESSES = int(os.environ.get("BENCH_PROCESSES", "200000"))
AGENCIES, SECTIONS_PER_AGENCY = 200, 5
STATES = ["published", "section_review", "published", "leader_review", "published", "finance_review"]


def fill() -> None:
    agencies = Agency.objects.bulk_create(Agency(code=f"8{n:05d}", name=f"压测单位{n}") for n in range(AGENCIES))
    sections = Section.objects.bulk_create(Section(agency=a, name=f"压测科室{k}") for a in agencies for k in range(SECTIONS_PER_AGENCY))
    section_ids = [s.pk for s in sections] + [Section.objects.get(name="公共资源交易中心").pk]
    agency_ids = [s.agency_id for s in sections] + [Agency.objects.get(code="483001").pk]
    year = FiscalYear.objects.get(year=2024).pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO projects_project (agency_id, section_id, code, name)
            SELECT (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], 'LIST' || g, '压测项目' || g
            FROM generate_series(1, %s) g
            """,
            [agency_ids, len(agency_ids), section_ids, len(section_ids), PROCESSES],
        )
        cursor.execute(
            """
            INSERT INTO projects_targetsheet (project_id, fiscal_year_id, agency_id, section_id, position, title,
                budget_total, fiscal_funds, other_funds, purpose, goal, state, state_since, version, created, updated)
            SELECT p.id, %s, p.agency_id, p.section_id, p.id %% 50, '', 10, 10, 0, '', '',
                (%s::text[])[1 + p.id %% 6], now() - make_interval(mins => (p.id %% 10000)::int), 2, now(), now()
            FROM projects_project p WHERE p.code LIKE 'LIST%%'
            """,
            [year, STATES],
        )
        cursor.execute("ANALYZE projects_project; ANALYZE projects_targetsheet;")
    # one 经办人 per bench section (the reminders' recipients), granted in bulk
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"list_staff_{s.pk}", email=f"s{s.pk}@example.cn", password=make_password(None)) for s in sections
    )
    section_type = ContentType.objects.get_for_model(Section)
    permission = Permission.objects.get(content_type=section_type, codename="draft_section")
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(user=u, permission=permission, content_type=section_type, object_pk=str(s.pk)) for u, s in zip(users, sections)
    )


@pytest.fixture
def province(demo):
    fill()
    return get_user_model().objects.get(username="head_ggzy")


def _page(benchmark, user, url):
    client = Client()
    if user is not None:
        client.force_login(user)
    client.get(url)  # warm caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    print(f"\n{url} ran {len(captured)} queries, {len(response.content) // 1024} KB")
    benchmark(lambda: client.get(url))


def test_sheet_list_page_at_scale(benchmark, province):
    _page(benchmark, province, "/sheets/")


def test_sheet_list_api_at_scale(benchmark, province):
    _page(benchmark, province, "/api/sheets/")


def test_sheet_list_filtered_at_scale(benchmark, province):
    _page(benchmark, province, "/sheets/?year=2024&state=published")


def test_sheet_list_far_page_at_scale(benchmark, province):
    """A page deep into the list: the cursor of the 2,000th page costs what the first one does."""
    client = Client()
    client.force_login(province)
    url = "/api/sheets/?size=100"
    for _ in range(PROCESSES // 1000):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        url = response.json()["next"].split("testserver", 1)[-1]
    _page(benchmark, province, url)


def test_run_reminders_profile(province):
    """Where the time of a checkpoint day goes (printed; run with -s)."""
    import cProfile
    import pstats

    Notification.objects.all().delete()
    profile = cProfile.Profile()
    profile.enable()
    services.reminders_send(day=datetime.date(2024, 6, 23))
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


def test_sheet_list_search_at_scale(benchmark, province):
    _page(benchmark, province, "/sheets/?q=" + "压测项目12345")


def test_public_list_at_scale(benchmark, province):
    _page(benchmark, None, "/public/")


def test_run_reminders_at_scale(benchmark, province):
    day = datetime.date(2024, 6, 23)

    def setup():
        Notification.objects.all().delete()

    Notification.objects.all().delete()
    with CaptureQueriesContext(connection) as captured:
        sent = services.reminders_send(day=day)
    print(f"\nrun_reminders {day}: {len(sent)} items, {sum(len(s.rows) for s in sent)} rows, {len(captured)} queries")
    benchmark.pedantic(lambda: services.reminders_send(day=day), setup=setup, rounds=3, iterations=1)


def test_sheet_list_plan(province):
    """The plan of the list's page query (printed; run with -s)."""
    from workflow import selectors

    queryset = selectors.sheet_list(province)[:51]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def test_sheet_list_profile(province):
    """Where the time of /sheets/ and /api/sheets/ goes (printed; run with -s)."""
    import cProfile
    import pstats

    client = Client()
    client.force_login(province)
    for url in ("/api/sheets/", "/sheets/"):
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            profile = cProfile.Profile()
            profile.enable()
            client.get(url)
            profile.disable()
        for query in captured.captured_queries:
            print(query["time"], query["sql"][:120])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
