"""Fill a migrated, seeded (``seed_demo``) targetflow database with a county or a province, in set-based SQL.

Run under ``config.settings``: ``python -m benchmarks.fill SCALE``. Every row is written by an
``INSERT … SELECT generate_series`` statement, so 200,000 sheets with 8 indicators each take minutes.

What it writes (``B`` codes, so nothing collides with the seed):
- ``agencies`` budget units with ``sections_per_agency`` sections and ``projects_per_agency`` projects each, one
  2024 sheet per project: half published, the rest spread over drafts and the three review steps;
  ``indicators`` rows per sheet;
- per section one 经办人 (``bs_<section id>``) and one 科室负责人 (``bh_<section id>``), granted in bulk;
- ``bench_finance``: 财政审核人 of every agency (the province's finance view);
- the approval pool: agency ``BAPPROVE`` with enough sheets waiting at 科室审核 for every approval round, written
  into its first section (head ``bench_head``), then spread over ``scale.review_sections`` sections with their own
  heads (``benchmarks.realism.fill_approval_spread``); its leader ``bench_leader`` and finance ``bench_finance``;
- the export agency ``BEXPORT`` with ``export_sheets`` published sheets (the Word package row);
- a self-evaluation of every published bench sheet (``fill_evaluations``), its rows from the sheet's indicators with
  actual values around the targets, then scored (``benchmarks.inproc.score_every_evaluation``): the scoring row and
  the agency summary page (``BEXPORT``'s, as ``bench_finance``).
"""

from __future__ import annotations

import sys
import time

STATES = ["published", "section_review", "published", "leader_review", "published", "finance_review", "draft", "published"]


def fill(scale) -> dict:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from benchmarks.realism import name_sql
    from benchmarks.scales import APPROVAL_POOL_SPARE
    from projects.models import Agency, FiscalYear, Section

    started = time.monotonic()
    year = FiscalYear.objects.get(year=2024).pk
    section_type = ContentType.objects.get_for_model(Section).pk
    agency_type = ContentType.objects.get_for_model(Agency).pk
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type_id__in=[section_type, agency_type])}
    pool = scale.rounds * scale.approvals_per_round * 2 + APPROVAL_POOL_SPARE  # the smoke run approves twice as much

    def run(cursor, sql, params=()):
        cursor.execute(sql, params)

    with transaction.atomic(), connection.cursor() as c:
        run(c, "SET LOCAL synchronous_commit = off")
        run(c, """INSERT INTO projects_agency (code, name)
                  SELECT 'B' || lpad(g::text, 6, '0'), '压测单位' || g FROM generate_series(1, %s) g""", [scale.agencies])
        run(c, "INSERT INTO projects_agency (code, name) VALUES ('BAPPROVE', '压测审批单位'), ('BEXPORT', '压测导出单位')")
        run(c, """INSERT INTO projects_section (agency_id, name, wecom_robot_key)
                  SELECT a.id, '压测科室' || k, '' FROM projects_agency a, generate_series(1, %s) k
                  WHERE a.code LIKE 'B%%'""", [scale.sections_per_agency])
        # projects: per ordinary agency projects_per_agency, pool and export agencies their own counts
        run(c, """INSERT INTO projects_project (agency_id, section_id, code, name)
                  SELECT a.id, s.id, 'BP' || a.code || '-' || n, '压测项目' || a.code || '-' || n
                  FROM projects_agency a
                  CROSS JOIN LATERAL generate_series(1, CASE a.code WHEN 'BAPPROVE' THEN %s WHEN 'BEXPORT' THEN %s ELSE %s END) n
                  JOIN LATERAL (SELECT s.id FROM projects_section s WHERE s.agency_id = a.id ORDER BY s.id
                                OFFSET (CASE a.code WHEN 'BAPPROVE' THEN 0 ELSE n %% %s END) LIMIT 1) s ON true
                  WHERE a.code LIKE 'B%%'""",
            [pool, scale.export_sheets, scale.projects_per_agency, scale.sections_per_agency])
        run(c, """INSERT INTO projects_targetsheet (project_id, fiscal_year_id, agency_id, section_id, position, title,
                      budget_total, fiscal_funds, other_funds, purpose, goal, state, state_since, version, created, updated)
                  SELECT p.id, %s, p.agency_id, p.section_id,
                      (row_number() OVER (PARTITION BY p.agency_id ORDER BY p.id))::int,
                      '', 100, 80, 20, '压测资金用途', '压测绩效目标',
                      CASE a.code WHEN 'BAPPROVE' THEN 'section_review' WHEN 'BEXPORT' THEN 'published'
                           ELSE (%s::text[])[1 + p.id %% %s] END,
                      now() - make_interval(mins => (p.id %% 10000)::int), 1, now(), now()
                  FROM projects_project p JOIN projects_agency a ON a.id = p.agency_id
                  WHERE p.code LIKE 'BP%%'""", [year, STATES, len(STATES)])
        run(c, """INSERT INTO projects_indicator (sheet_id, "order", category, subcategory, name, description, target_value,
                      value_kind, value_operator, value_number, value_unit, basis)
                  SELECT t.id, k, CASE WHEN k <= 4 THEN '产出指标' WHEN k <= 6 THEN '效益指标' ELSE '满意度指标' END,
                      CASE WHEN k <= 2 THEN '数量指标' WHEN k <= 4 THEN '质量指标' WHEN k <= 6 THEN '社会效益指标'
                           ELSE '服务对象满意度指标' END,
                      {name}, '压测指标描述' || k, '≥' || (90 + k) || '%%', 'number', '>=', 90 + k, '%%', '压测依据'
                  FROM projects_targetsheet t JOIN projects_project p ON p.id = t.project_id,
                       generate_series(1, %s) k
                  WHERE p.code LIKE 'BP%%'""".replace("{name}", name_sql("t.id", "k", scale.library_names)), [scale.indicators])
        # people: a staff member and a head per section; the pool's leader; finance over every bench agency
        run(c, """INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
                  SELECT r || s.id, '!', false, false, true, '压测', r || s.id, r || s.id || '@example.cn', now()
                  FROM projects_section s JOIN projects_agency a ON a.id = s.agency_id, unnest(ARRAY['bs_', 'bh_']) r
                  WHERE a.code LIKE 'B%%'""")
        run(c, """INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
                  VALUES ('bench_finance', '!', false, false, true, '财政', '压测', 'bf@example.cn', now()),
                         ('bench_leader', '!', false, false, true, '领导', '压测', 'bl@example.cn', now())""")
        run(c, """INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id)
                  SELECT CASE WHEN u.username LIKE 'bs\\_%%' THEN %s ELSE %s END, %s, substr(u.username, 4), u.id
                  FROM auth_user u WHERE u.username LIKE 'bs\\_%%' OR u.username LIKE 'bh\\_%%'""",
            [perm["draft_section"], perm["head_section"], section_type])
        run(c, """INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id)
                  SELECT %s, %s, a.id::text, u.id FROM projects_agency a, auth_user u
                  WHERE a.code LIKE 'B%%' AND u.username = 'bench_finance'
                  UNION ALL
                  SELECT %s, %s, a.id::text, u.id FROM projects_agency a, auth_user u
                  WHERE a.code = 'BAPPROVE' AND u.username = 'bench_leader'""",
            [perm["review_agency"], agency_type, perm["lead_agency"], agency_type])
        run(c, """UPDATE auth_user u SET username = 'bench_head' FROM projects_section s JOIN projects_agency a ON a.id = s.agency_id
                  WHERE a.code = 'BAPPROVE' AND u.username = 'bh_' || s.id
                  AND s.id = (SELECT min(s2.id) FROM projects_section s2 WHERE s2.agency_id = a.id)""")
    return {**fill_rest(scale), "seconds": round(time.monotonic() - started, 1)}


def fill_rest(scale) -> dict:
    """What a database filled by an earlier version lacks, added (each step does nothing when it is there): the
    province's realism (``benchmarks.realism``: names, plans, history, large sheets, many people, the approval pool
    over many sections, the spending reports), the self-evaluations, the checker's verdicts, the library."""
    from django.db import connection

    from benchmarks.realism import fill_approval_spread, fill_realism, fill_spend_reports, library_fill
    from projects.services import sheet_verdicts_fill

    realism = fill_realism(scale)
    realism |= fill_approval_spread(scale)
    realism |= fill_spend_reports()
    evaluations = fill_evaluations()
    # the rows above bypass sheet_content_replace: store the checker's verdict as it would have
    verdicts_started = time.monotonic()
    verdicts = sheet_verdicts_fill()
    verdict_seconds = round(time.monotonic() - verdicts_started, 1)
    with connection.cursor() as c:  # the statistics of the rows just written: without them the library's join is
        for table in ("projects_indicator", "projects_targetsheet", "library_entry", "library_usage"):  # a nested loop
            c.execute(f"ANALYZE {table}")
    library = library_fill()
    with connection.cursor() as c:
        for table in ("projects_agency", "projects_section", "projects_project", "projects_targetsheet",
                      "projects_indicator", "projects_spendplan", "projects_spendreport", "workflow_event", "library_entry", "library_usage",
                      "auth_user", "guardian_userobjectpermission"):
            c.execute(f"VACUUM ANALYZE {table}")
        c.execute("SELECT count(*) FROM projects_targetsheet")
        sheets = c.fetchone()[0]
    return {"sheets": sheets, "verdicts": verdicts, "verdict_seconds": verdict_seconds, **realism, **evaluations, **library}


# a fifth of the self-evaluations at each state: drafts, one at each review step, the rest published
EVALUATION_STATES = ["published", "draft", "published", "section_review", "published", "leader_review", "finance_review", "published"]


def fill_evaluations() -> dict:
    """The self-evaluation of every published bench sheet (``B`` agencies), set-based, then scored: nothing when they
    are there already (a database filled before the evaluations came gains them on the next run).

    Each has the sheet's budget as 年初 and 调整后, 执行数 70–100% of it, the three texts; its rows are the sheet's
    indicators with the default weights (each category's points split over its rows, as ``scoring.default_weights``
    does) and an actual value 85–99% against targets of 91–98% (some rows short of their target)."""
    from django.db import connection, transaction

    from benchmarks.inproc import score_every_evaluation

    started = time.monotonic()
    with connection.cursor() as c:
        c.execute("""SELECT EXISTS (SELECT 1 FROM evaluations_selfevaluation e JOIN projects_agency a ON a.id = e.agency_id
                                    WHERE a.code LIKE %s)""", ["B%"])
        if c.fetchone()[0]:
            return {}
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("""INSERT INTO evaluations_selfevaluation (sheet_id, fiscal_year_id, agency_id, section_id, state, state_since,
                         round_actors, version, updated, created, budget, adjusted_budget, spent, spent_reason, conclusion,
                         problems, improvements, grade, check_errors)
                     SELECT t.id, t.fiscal_year_id, t.agency_id, t.section_id, (%s::text[])[1 + t.id %% %s],
                         now() - make_interval(mins => (t.id %% 10000)::int), '', 1, now(), now(), t.budget_total,
                         t.budget_total, round(t.budget_total * (70 + t.id %% 31) / 100, 2), '压测执行率偏低原因',
                         '压测评价结论', '压测存在问题', '压测改进措施', '', 0
                     FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
                     WHERE a.code LIKE 'B%%' AND t.state = 'published' AND t.revises_id IS NULL""",
                  [EVALUATION_STATES, len(EVALUATION_STATES)])
        c.execute("""INSERT INTO evaluations_evaluationrow (evaluation_id, indicator_id, "order", category, subcategory, name,
                         target, original_target, weight, actual, level, reason)
                     SELECT e.id, i.id, i."order", i.category, i.subcategory, i.name, i.target_value, i.target_value,
                         -- the default split (scoring.default_weights): the category's points in cents over its rows,
                         -- the spare cents to its first rows
                         ((w.cents / count(*) OVER c + CASE WHEN row_number() OVER c - 1 < w.cents %% count(*) OVER c
                                                            THEN 1 ELSE 0 END) / 100.0)::numeric(6, 2),
                         (85 + (e.id + i."order") %% %s) || '%%', '', '压测未完成原因'
                     FROM evaluations_selfevaluation e JOIN projects_agency a ON a.id = e.agency_id
                     JOIN projects_indicator i ON i.sheet_id = e.sheet_id
                     CROSS JOIN LATERAL (SELECT CASE WHEN i.category LIKE '产出%%' THEN 5000
                                                     WHEN i.category LIKE '效益%%' THEN 3000 ELSE 1000 END AS cents) w
                     WHERE a.code LIKE 'B%%'
                     WINDOW c AS (PARTITION BY e.id, i.category ORDER BY i."order", i.id
                                  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)""", [15])
    scored = score_every_evaluation()
    with connection.cursor() as c:
        for table in ("evaluations_selfevaluation", "evaluations_evaluationrow"):
            c.execute(f"VACUUM ANALYZE {table}")
    return {"evaluations": scored["evaluations"], "evaluation_seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    django.setup()
    from benchmarks.scales import SCALES

    if sys.argv[1] == "rest":  # a database filled by an earlier version: what it lacks
        print(fill_rest(SCALES[sys.argv[2]]))
    else:
        print(fill(SCALES[sys.argv[1]]))
