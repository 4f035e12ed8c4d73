"""On demand (`make benchmark`): the review queue at scale.

Fills PostgreSQL with BENCH_PROCESSES approval processes (default 200,000) spread over
1,000 sections of 200 agencies, each waiting at one review step, then times what a
section head's 待办 costs: the selector, the count in the nav badge and the whole page.
The queue filters tasks on the process's indexed section/agency keys, never on
guardian's per-object rows (see DEVELOPERS.md).
"""

import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import Agency, Section, TargetSheet
from workflow import roles, selectors

PROCESSES = int(os.environ.get("BENCH_PROCESSES", "200000"))
AGENCIES, SECTIONS_PER_AGENCY = 200, 5
STEPS = ["section_review", "leader_review", "finance_review"]
FLOW = "workflow/flows.TargetSheetFlow"


def fill(sheet_id: int) -> None:
    agencies = Agency.objects.bulk_create(Agency(code=f"9{n:05d}", name=f"压测单位{n}") for n in range(AGENCIES))
    sections = Section.objects.bulk_create(
        Section(agency=a, name=f"压测科室{k}") for a in agencies for k in range(SECTIONS_PER_AGENCY)
    )
    section_ids = [s.pk for s in sections] + [Section.objects.get(name="公共资源交易中心").pk]
    agency_ids = [s.agency_id for s in sections] + [Agency.objects.get(code="483001").pk]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH p AS (
              INSERT INTO viewflow_process (flow_class, status, created, data)
              SELECT %s, 'NEW', now() - make_interval(mins => g), '{}'::jsonb FROM generate_series(1, %s) g
              RETURNING id
            )
            INSERT INTO workflow_sheetprocess (process_ptr_id, decision, sheet_id, section_id, agency_id)
            SELECT p.id, '', %s, (%s::bigint[])[1 + p.id %% %s], (%s::bigint[])[1 + p.id %% %s] FROM p
            """,
            [FLOW, PROCESSES, sheet_id, section_ids, len(section_ids), agency_ids, len(agency_ids)],
        )
        cursor.execute(
            """
            INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, token, process_id, data)
            SELECT %s || '.' || (%s::text[])[1 + sp.process_ptr_id %% 3], 'HUMAN', 'NEW', now(), 'start', sp.process_ptr_id, '{}'::jsonb
            FROM workflow_sheetprocess sp WHERE sp.decision = ''
            """,
            [FLOW, STEPS],
        )
        cursor.execute("ANALYZE viewflow_process; ANALYZE viewflow_task; ANALYZE workflow_sheetprocess;")


@pytest.fixture
def queue(demo):
    fill(TargetSheet.objects.get(position=3, agency__code="483001").pk)
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
