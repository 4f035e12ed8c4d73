"""On demand (`make benchmark`): the review queue at scale.

Fills PostgreSQL with BENCH_PROCESSES sheets (default 200,000) spread over 1,000
sections of 200 agencies, each waiting at one review step, then times what a section
head's 待办 costs: the selector, the count in the nav badge and the whole page. The
queue filters sheets by state on their indexed section/agency keys, never on
guardian's per-object rows (see DEVELOPERS.md).
"""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import Agency, FiscalYear, Section
from workflow import selectors

PROCESSES = int(os.environ.get("BENCH_PROCESSES", "200000"))  # sheets waiting at a review step
AGENCIES, SECTIONS_PER_AGENCY = 200, 5
STEPS = ["section_review", "leader_review", "finance_review"]


def fill() -> None:
    """BENCH_PROCESSES sheets (one project each) spread over the sections, each waiting at one review step."""
    agencies = Agency.objects.bulk_create(Agency(code=f"9{n:05d}", name=f"压测单位{n}") for n in range(AGENCIES))
    sections = Section.objects.bulk_create(
        Section(agency=a, name=f"压测科室{k}") for a in agencies for k in range(SECTIONS_PER_AGENCY)
    )
    section_ids = [s.pk for s in sections] + [Section.objects.get(name="公共资源交易中心").pk]
    agency_ids = [s.agency_id for s in sections] + [Agency.objects.get(code="483001").pk]
    year = FiscalYear.objects.get(year=2024).pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO projects_project (agency_id, section_id, code, name)
            SELECT (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], 'BENCH' || g, '压测项目' || g
            FROM generate_series(1, %s) g
            """,
            [agency_ids, len(agency_ids), section_ids, len(section_ids), PROCESSES],
        )
        cursor.execute(
            """
            INSERT INTO projects_targetsheet (project_id, fiscal_year_id, agency_id, section_id, position, title,
                budget_total, fiscal_funds, other_funds, purpose, goal, state, state_since, version, created, updated)
            SELECT p.id, %s, p.agency_id, p.section_id, 1, '', 10, 10, 0, '', '',
                (%s::text[])[1 + p.id %% 3], now() - make_interval(mins => (p.id %% 10000)::int), 2, now(), now()
            FROM projects_project p WHERE p.code LIKE 'BENCH%%'
            """,
            [year, STEPS],
        )
        cursor.execute("ANALYZE projects_project; ANALYZE projects_targetsheet;")


@pytest.fixture
def queue(demo):
    fill()
    return get_user_model().objects.get(username="head_ggzy")


def test_review_queue_at_scale(benchmark, queue):
    head = queue
    tasks = benchmark(lambda: list(selectors.review_tasks(head)))
    expected = PROCESSES // (AGENCIES * SECTIONS_PER_AGENCY + 1) // 3
    assert abs(len(tasks) - expected) <= 2, (len(tasks), expected)
    with connection.cursor() as cursor:
        sql, params = selectors.review_tasks(head).query.sql_with_params()
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def test_inbox_count_at_scale(benchmark, queue):
    benchmark(lambda: selectors.inbox_count(queue))


def test_inbox_page_at_scale(benchmark, queue):
    client = Client()
    client.force_login(queue)
    client.get("/tasks/")  # warm caches
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/tasks/").status_code == 200
    print(f"\n/tasks/ ran {len(captured)} queries")
    benchmark(lambda: client.get("/tasks/"))
