"""What makes the filled database look like a province beyond its sheet counts (issue 24, item 7), set-based.

- **Indicator names**: ``NAME_SQL`` gives the bench sheets' rows ``scale.library_names`` distinct names spread over the
  form's groups with a skewed popularity (a few names on tens of thousands of sheets, most on a few), instead of 8
  names in every sheet; ``fill`` writes them in its INSERT, a database filled before gets them by an UPDATE here.
- **Spend plans**: every bench sheet plans the year's checkpoints at their planned percent.
- **History**: the workflow events that brought each bench sheet to its state (submit by the section's 经办人, the
  approvals, 公开 by finance).
- **Large sheets**: agency ``XBIG`` (not a ``B`` code: no existing row reads it) with ``scale.big_sheets`` drafts of 200
  indicators each and one draft of 8 that the benchmark saves over and over, its 经办人 ``bench_big_staff``.
- **Many people**: agency ``XPEOPLE`` with ``scale.crowd`` people, each 经办人 of one of its 20 sections, and its
  单位管理员 ``bench_people_admin``.
- **The library**: ``library_rebuild`` over all of it (an entry per distinct name, a usage row per indicator row).
- **Approvals over many sections** (``fill_approval_spread``): the approval pool of agency ``BAPPROVE`` spread over
  ``scale.review_sections`` sections, each with its own 经办人 and 科室负责人: every other sheet stays in the first
  section (``bench_head``'s: his 待办 keeps a full page through a run), the rest go round the other sections; the
  approvals row asks each section's head in turn. The pool's last ``APPROVAL_POOL_SPARE`` sheets (the adjustments')
  stay in the first section.
- **Spending reports** (``fill_spend_reports``): the published bench sheets' 执行进度 as of the reminder day
  (2024-06-23): a 3月底 report of cumulative spending spread around the plan's 25% (most on or above it, a quarter
  behind by up to 10 points, a tenth further behind, one in twenty not reported). No 6月底 report yet: the reminders
  of 06-23 are for the sheets that have not reported it, and the run_reminders row keeps every published sheet.

The existing rows keep their meaning: the same sheets in the same states, seen by the same people; the approval
pool and the export agency are untouched but for their indicator names, plans and history.
"""

from __future__ import annotations

import time

# (一级, 二级) of the fill's rows k = 1…8, as benchmarks.fill writes them
STEMS = ["办件", "服务", "培训", "检查", "设备", "项目", "系统", "宣传", "巡查", "维护", "采购", "监测"]
SUFFIXES = ["完成率", "数量", "覆盖率", "合格率", "及时率", "满意度", "达标率", "次数"]


def name_sql(sheet: str, k: str, names: int) -> str:
    """SQL of the name of row ``k`` of sheet ``sheet`` (column expressions): one of ``names`` names, skewed (the cube of
    a hash in [0, 1)), e.g. 办件完成率 or 设备合格率（37）."""
    h = f"((({sheet}) * 7919 + ({k}) * 104729) %% 1000003)::float8 / 1000003"
    idx = f"floor({max(names // 4, 1)} * ({h}) ^ 3)::int"  # the rows of a (一级, 二级) draw from a quarter of the names
    return (f"((ARRAY{STEMS!r})[1 + ({idx}) %% {len(STEMS)}] || (ARRAY{SUFFIXES!r})[1 + (({idx}) / {len(STEMS)}) %% {len(SUFFIXES)}]"
            f" || CASE WHEN ({idx}) >= {len(STEMS) * len(SUFFIXES)} THEN '（' || (({idx}) / {len(STEMS) * len(SUFFIXES)}) || '）' ELSE '' END)")


def fill_realism(scale) -> dict:
    """Everything above, once (nothing when agency ``XPEOPLE`` is there). Returns the counts and the seconds."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from benchmarks.big_sheet import big_indicators
    from projects.models import Agency, FiscalYear, Section, TargetSheet

    if Agency.objects.filter(code="XPEOPLE").exists():
        return {}
    started = time.monotonic()
    year = FiscalYear.objects.get(year=2024)
    section_type = ContentType.objects.get_for_model(Section).pk
    agency_type = ContentType.objects.get_for_model(Agency).pk
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type_id__in=[section_type, agency_type])}
    out = {}
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("SELECT 1 FROM projects_indicator i JOIN projects_targetsheet t ON t.id = i.sheet_id JOIN projects_agency a "
                  "ON a.id = t.agency_id WHERE a.code LIKE 'B%%' AND i.name LIKE '压测指标%%' LIMIT 1", [])
        if c.fetchone():  # filled before the names came
            c.execute(f"""UPDATE projects_indicator i SET name = {name_sql('i.sheet_id', 'i."order"', scale.library_names)}
                          FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
                          WHERE t.id = i.sheet_id AND a.code LIKE 'B%%'""", [])
            out["renamed"] = c.rowcount
        c.execute("""INSERT INTO projects_spendplan (sheet_id, checkpoint_id, cumulative_percent)
                     SELECT t.id, cp.id, cp.planned_percent FROM projects_targetsheet t
                     JOIN projects_agency a ON a.id = t.agency_id JOIN projects_checkpoint cp ON cp.fiscal_year_id = t.fiscal_year_id
                     WHERE a.code LIKE 'B%%' ON CONFLICT DO NOTHING""", [])
        out["plans"] = c.rowcount
        # a plan changes the checker's verdict: stored again (benchmarks.fill runs sheet_verdicts_fill after this)
        c.execute("""UPDATE projects_targetsheet t SET check_errors = NULL FROM projects_agency a
                     WHERE a.id = t.agency_id AND a.code LIKE 'B%%' AND t.check_errors IS NOT NULL""", [])
        # history: submit, then one event per step passed; the last step's approval is 公开
        c.execute("""INSERT INTO workflow_event (action, from_state, to_state, comment, created, actor_id, sheet_id, resume_state)
                     SELECT CASE s.n WHEN 1 THEN 'submit' WHEN 4 THEN 'publish' ELSE 'approve' END,
                            (ARRAY['draft', 'section_review', 'leader_review', 'finance_review'])[s.n],
                            (ARRAY['section_review', 'leader_review', 'finance_review', 'published'])[s.n],
                            CASE s.n WHEN 1 THEN '' ELSE '同意。' END,
                            t.state_since - make_interval(days => 4 - s.n), u.id, t.id, ''
                     FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
                     CROSS JOIN LATERAL generate_series(1, CASE t.state WHEN 'section_review' THEN 1 WHEN 'leader_review' THEN 2
                                                          WHEN 'finance_review' THEN 3 WHEN 'published' THEN 4 ELSE 0 END) s(n)
                     LEFT JOIN auth_user u ON u.username = CASE s.n WHEN 1 THEN 'bs_' || t.section_id WHEN 2 THEN 'bh_' || t.section_id
                                                                   WHEN 3 THEN 'bench_leader' ELSE 'bench_finance' END
                     WHERE a.code LIKE 'B%%' AND t.revises_id IS NULL""", [])
        out["events"] = c.rowcount
        # many people: XPEOPLE's 20 sections, scale.crowd 经办人, its administrator
        c.execute("INSERT INTO projects_agency (code, name) VALUES ('XPEOPLE', '压测人员单位'), ('XBIG', '压测大表单位') RETURNING id, code")
        agency = {code: pk for pk, code in c.fetchall()}
        c.execute("""INSERT INTO projects_section (agency_id, name, wecom_robot_key)
                     SELECT %s, '压测人员科室' || k, '' FROM generate_series(1, 20) k""", [agency["XPEOPLE"]])
        c.execute("""INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
                     SELECT 'bp_' || n, '!', false, false, true, '人员' || n, '压测', 'bp' || n || '@example.cn', now()
                     FROM generate_series(1, %s) n
                     UNION ALL SELECT 'bench_people_admin', '!', false, false, true, '管理员', '压测', 'bpa@example.cn', now()
                     UNION ALL SELECT 'bench_big_staff', '!', false, false, true, '大表', '压测', 'bbs@example.cn', now()""",
                  [scale.crowd])
        c.execute("""INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id)
                     SELECT %s, %s, s.id::text, u.id FROM auth_user u
                     JOIN LATERAL (SELECT s.id FROM projects_section s WHERE s.agency_id = %s ORDER BY s.id
                                   OFFSET substr(u.username, 4)::int %% 20 LIMIT 1) s ON true
                     WHERE u.username LIKE 'bp\\_%%'
                     UNION ALL SELECT %s, %s, %s::text, u.id FROM auth_user u WHERE u.username = 'bench_people_admin'""",
                  [perm["draft_section"], section_type, agency["XPEOPLE"], perm["manage_agency"], agency_type, agency["XPEOPLE"]])
        out["people"] = scale.crowd
    # large sheets, written through the service (their verdicts and library usage as a save writes them)
    with transaction.atomic():
        from django.contrib.auth import get_user_model

        from projects.models import Project
        from projects.services import sheet_content_replace

        big = Agency.objects.get(code="XBIG")
        section = big.sections.create(name="压测大表科室")
        staff = get_user_model().objects.get(username="bench_big_staff")
        _grant(staff, perm["draft_section"], section_type, section.pk)
        plan = {cp: cp.planned_percent for cp in year.checkpoints.all()}
        for n in range(scale.big_sheets + 1):
            rows = 200 if n < scale.big_sheets else 8
            project = Project.objects.create(agency=big, section=section, code=f"XBIG-{n + 1}", name=f"压测大表项目{n + 1}")
            sheet = TargetSheet(project=project, fiscal_year=year, agency=big, section=section, position=n + 1, title="")
            sheet_content_replace(sheet=sheet, budget_total=100, fiscal_funds=80, other_funds=20, purpose="压测资金用途",
                                  goal="压测绩效目标", plan=plan, indicators=big_indicators(rows, seed=n))
        out["big_sheets"] = scale.big_sheets
    return {**out, "realism_seconds": round(time.monotonic() - started, 1)}


def fill_approval_spread(scale) -> dict:
    """The approval pool over ``scale.review_sections`` sections of ``BAPPROVE`` (see the module's docstring); nothing
    when the agency has them. The pool's sheets and projects change section, their submit event its 经办人."""
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from benchmarks.scales import APPROVAL_POOL_SPARE
    from projects.models import Section

    sections = scale.review_sections
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT id FROM projects_agency WHERE code = 'BAPPROVE'")
        [agency] = c.fetchone()
        c.execute("SELECT count(*) FROM projects_section WHERE agency_id = %s", [agency])
        have = c.fetchone()[0]
        if have >= sections:
            return {}
        section_type = ContentType.objects.get_for_model(Section).pk
        perm = {p.codename: p.pk for p in Permission.objects.filter(content_type_id=section_type)}
        c.execute("""INSERT INTO projects_section (agency_id, name, wecom_robot_key)
                     SELECT %s, '压测审批科室' || k, '' FROM generate_series(%s, %s) k""", [agency, have + 1, sections])
        c.execute("""INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
                     SELECT r || s.id, '!', false, false, true, '压测', r || s.id, r || s.id || '@example.cn', now()
                     FROM projects_section s, unnest(ARRAY['bs_', 'bh_']) r
                     WHERE s.agency_id = %s AND s.name LIKE '压测审批科室%%'""", [agency])
        c.execute("""INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id)
                     SELECT CASE WHEN u.username LIKE 'bs\\_%%' THEN %s ELSE %s END, %s, substr(u.username, 4), u.id
                     FROM auth_user u JOIN projects_section s ON u.username IN ('bs_' || s.id, 'bh_' || s.id)
                     WHERE s.agency_id = %s AND s.name LIKE '压测审批科室%%'""",
                  [perm["draft_section"], perm["head_section"], section_type, agency])
        # pool sheet i (by id, the adjustments' last ones left out): even ones in the first section, odd ones round
        # the others
        c.execute("""CREATE TEMP TABLE bench_spread ON COMMIT DROP AS
                     WITH pool AS (SELECT t.id, t.project_id, row_number() OVER (ORDER BY t.id) - 1 AS i,
                                          count(*) OVER () AS n
                                   FROM projects_targetsheet t WHERE t.agency_id = %s AND t.revises_id IS NULL),
                          section AS (SELECT s.id, row_number() OVER (ORDER BY s.id) - 1 AS j
                                      FROM projects_section s WHERE s.agency_id = %s)
                     SELECT pool.id, pool.project_id, section.id AS section_id
                     FROM pool JOIN section ON section.j = CASE WHEN pool.i >= pool.n - %s OR pool.i %% 2 = 0 THEN 0
                                                                 ELSE 1 + (pool.i / 2) %% (%s - 1) END""",
                  [agency, agency, APPROVAL_POOL_SPARE, sections])
        c.execute("UPDATE projects_targetsheet t SET section_id = b.section_id FROM bench_spread b WHERE t.id = b.id")
        moved = c.rowcount
        c.execute("UPDATE projects_project p SET section_id = b.section_id FROM bench_spread b WHERE p.id = b.project_id")
        c.execute("""UPDATE workflow_event e SET actor_id = u.id FROM bench_spread b, auth_user u
                     WHERE e.sheet_id = b.id AND e.action = 'submit' AND u.username = 'bs_' || b.section_id""")
    return {"review_sections": sections, "pool_spread": moved}


def fill_spend_reports() -> dict:
    """The 3月底 执行进度 of every published bench sheet (see the module's docstring), set-based; nothing when the
    bench sheets have reports. The spread is a hash of the sheet's id: 5% no report, 10% at 5–14% of the budget
    (red: more than 10 points behind 25%), 25% at 15–24.6% (yellow), 60% at 25–39.75% (green)."""
    from django.db import connection, transaction

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as c:
        c.execute("""SELECT EXISTS (SELECT 1 FROM projects_spendreport r JOIN projects_targetsheet t ON t.id = r.sheet_id
                                    JOIN projects_agency a ON a.id = t.agency_id WHERE a.code LIKE 'B%%')""", [])
        if c.fetchone()[0]:
            return {}
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("""INSERT INTO projects_spendreport (sheet_id, checkpoint_id, amount, explanation, reported_by_id, reported_at)
                     SELECT t.id, cp.id, round(t.budget_total * h.pct / 100, 2),
                            CASE WHEN h.pct < cp.planned_percent THEN '压测：项目招标推迟，支出进度滞后' ELSE '' END,
                            u.id, (cp.date + 1 + (t.id %% 10)::int)::timestamptz + interval '9 hours'
                     FROM projects_targetsheet t JOIN projects_agency a ON a.id = t.agency_id
                     JOIN projects_fiscalyear y ON y.id = t.fiscal_year_id
                     JOIN projects_checkpoint cp ON cp.fiscal_year_id = y.id AND cp.date = make_date(y.year, 3, 31)
                     CROSS JOIN LATERAL (SELECT (t.id * 7919 + 13) %% 100 AS h) k
                     CROSS JOIN LATERAL (SELECT CASE WHEN k.h < 15 THEN 5 + (k.h - 5)
                                                     WHEN k.h < 40 THEN 15 + (k.h - 15) * 0.4
                                                     ELSE 25 + (k.h - 40) * 0.25 END::numeric AS pct) h
                     LEFT JOIN auth_user u ON u.username = 'bs_' || t.section_id
                     WHERE a.code LIKE 'B%%' AND t.state = 'published' AND k.h >= 5""", [])
        reports = c.rowcount
    return {"spend_reports": reports, "spend_report_seconds": round(time.monotonic() - started, 1)}


def _grant(user, permission_id: int, content_type_id: int, object_pk: int) -> None:
    from django.db import connection

    with connection.cursor() as c:
        c.execute("INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id) VALUES (%s, %s, %s, %s)",
                  [permission_id, content_type_id, str(object_pk), user.pk])


def library_fill() -> dict:
    """The library built from every sheet (``library_rebuild``): an entry per distinct name, a usage row per row;
    nothing when the bench sheets have their usage rows."""
    from library.models import Usage
    from library.services import library_rebuild

    if Usage.objects.filter(sheet__agency__code__startswith="B").exists():
        return {}
    from django.db import connection

    from library import services

    started = time.monotonic()
    # the rebuild writes 1.6 million usage rows and then counts them in the same transaction, planned on statistics
    # that still say the table is empty (a sequential scan per entry): analysed in between, as autovacuum would
    counts_update = services._counts_update

    def analysed_first(entry_ids):
        with connection.cursor() as c:
            c.execute("ANALYZE library_usage")
            c.execute("ANALYZE library_entry")
        counts_update(entry_ids)

    services._counts_update = analysed_first
    try:
        result = library_rebuild()
    finally:
        services._counts_update = counts_update
    return {"library_entries_created": result["entries_created"], "library_usages": result["usages"],
            "library_seconds": round(time.monotonic() - started, 1)}
