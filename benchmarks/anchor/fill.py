"""Fill the anchor database with the same sizes as ``benchmarks.fill``: sheets spread over the same states, each
waiting sheet a viewflow process with its open task (owner permission on the section or agency object), published
ones a finished process. Run under ``benchmarks.anchor.settings``: ``python -m benchmarks.anchor.fill SCALE``."""

from __future__ import annotations

import sys
import time

from benchmarks.fill import STATES

STEP_PERMISSION = {"section_review": "anchor.head_section", "leader_review": "anchor.lead_agency", "finance_review": "anchor.review_agency"}


def fill(scale) -> dict:
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from benchmarks.anchor.flows import ApprovalFlow
    from benchmarks.anchor.models import Agency, Section, Sheet
    from benchmarks.scales import APPROVAL_POOL_SPARE
    from viewflow.workflow.models import Task

    started = time.monotonic()
    pool = scale.rounds * scale.approvals_per_round * 2 + APPROVAL_POOL_SPARE
    ct = {m: ContentType.objects.get_for_model(m).pk for m in (Agency, Section, Sheet)}
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type_id__in=[ct[Agency], ct[Section]])}
    # one real start names what viewflow stores (flow class, task names, tokens); the rest is copied in SQL
    with connection.cursor() as c:
        c.execute("DELETE FROM viewflow_task_previous; DELETE FROM viewflow_task; DELETE FROM viewflow_process; DELETE FROM anchor_sheet; "
                  "DELETE FROM anchor_section; DELETE FROM anchor_agency")
    a = Agency.objects.create(code="PROBE")
    s = Section.objects.create(agency=a, name="probe")
    probe = ApprovalFlow.start.run(sheet=Sheet.objects.create(agency=a, section=s, title="probe"))
    task = Task.objects.get(process=probe, status="NEW")
    with connection.cursor() as c:
        c.execute("SELECT flow_class FROM viewflow_process WHERE id = %s", [probe.pk])
        flow_class = c.fetchone()[0]
        c.execute("SELECT flow_task, flow_task_type, token, status FROM viewflow_task WHERE id = %s", [task.pk])
        flow_task, flow_task_type, token, task_status = c.fetchone()
    flow_tasks = {step: flow_task.replace("section_review", step) for step in STEP_PERMISSION}

    with transaction.atomic(), connection.cursor() as c:
        c.execute("SET LOCAL synchronous_commit = off")
        c.execute("DELETE FROM viewflow_task_previous; DELETE FROM viewflow_task; DELETE FROM viewflow_process; DELETE FROM anchor_sheet; "
                  "DELETE FROM anchor_section; DELETE FROM anchor_agency")
        c.execute("""INSERT INTO anchor_agency (code) SELECT 'B' || lpad(g::text, 6, '0') FROM generate_series(1, %s) g
                     UNION ALL SELECT 'BAPPROVE'""", [scale.agencies])
        # the approval pool's agency has review_sections sections, its pool round them (the last
        # APPROVAL_POOL_SPARE sheets, like targetflow's adjustment pool, in the first), each approved by its own head:
        # both approval rows (a new connection per request, then kept) ask each head in turn, as targetflow's does
        c.execute("""INSERT INTO anchor_section (agency_id, name)
                     SELECT a.id, '压测科室' || k FROM anchor_agency a,
                         generate_series(1, CASE a.code WHEN 'BAPPROVE' THEN %s ELSE %s END) k""",
                  [scale.review_sections, scale.sections_per_agency])
        c.execute("""INSERT INTO anchor_sheet (agency_id, section_id, title, approved_by)
                     SELECT a.id, s.id, '压测项目' || a.code || '-' || n, ''
                     FROM anchor_agency a
                     CROSS JOIN LATERAL generate_series(1, CASE a.code WHEN 'BAPPROVE' THEN %s ELSE %s END) n
                     JOIN LATERAL (SELECT s.id FROM anchor_section s WHERE s.agency_id = a.id ORDER BY s.id
                                   OFFSET (CASE WHEN a.code <> 'BAPPROVE' THEN n %% %s WHEN n > %s THEN 0
                                                ELSE (n - 1) %% %s END) LIMIT 1) s ON true""",
                  [pool, scale.projects_per_agency, scale.sections_per_agency, pool - APPROVAL_POOL_SPARE,
                   scale.review_sections])
        c.execute("""CREATE TEMP TABLE bench_sheet ON COMMIT DROP AS
                     SELECT t.id, t.section_id, t.agency_id, CASE a.code WHEN 'BAPPROVE' THEN 'section_review'
                         ELSE (%s::text[])[1 + t.id %% %s] END AS bench_state
                     FROM anchor_sheet t JOIN anchor_agency a ON a.id = t.agency_id""", [STATES, len(STATES)])
        c.execute("""INSERT INTO viewflow_process (flow_class, status, created, finished, artifact_content_type_id,
                         artifact_object_id, data)
                     SELECT %s, CASE bench_state WHEN 'published' THEN 'DONE' ELSE 'NEW' END,
                         now() - make_interval(mins => (id %% 10000)::int),
                         CASE bench_state WHEN 'published' THEN now() END, %s, id, '{}'
                     FROM bench_sheet WHERE bench_state <> 'draft'""", [flow_class, ct[Sheet]])
        for step, permission in STEP_PERMISSION.items():
            scope = "t.section_id" if step == "section_review" else "t.agency_id"
            scope_ct = ct[Section] if step == "section_review" else ct[Agency]
            c.execute(f"""INSERT INTO viewflow_task (flow_task, flow_task_type, status, created, token, owner_permission,
                              owner_permission_content_type_id, owner_permission_obj_pk, process_id, data)
                          SELECT %s, %s, %s, p.created, %s, %s, %s, {scope}::text, p.id, '{{}}'
                          FROM viewflow_process p JOIN bench_sheet t ON t.id = p.artifact_object_id
                          WHERE t.bench_state = %s""",
                      [flow_tasks[step], flow_task_type, task_status, token, permission, scope_ct, step])
        c.execute("DELETE FROM guardian_userobjectpermission; DELETE FROM auth_user_groups; DELETE FROM auth_user")
        c.execute("""INSERT INTO auth_user (username, password, is_superuser, is_staff, is_active, first_name, last_name, email, date_joined)
                     SELECT 'ah_' || s.id, '!', false, false, true, '', '', '', now() FROM anchor_section s
                     UNION ALL SELECT 'anchor_leader', '!', false, false, true, '', '', '', now()
                     UNION ALL SELECT 'anchor_finance', '!', false, false, true, '', '', '', now()""")
        c.execute("""INSERT INTO guardian_userobjectpermission (permission_id, content_type_id, object_pk, user_id)
                     SELECT %s, %s, substr(u.username, 4), u.id FROM auth_user u WHERE u.username LIKE 'ah\\_%%'
                     UNION ALL SELECT %s, %s, a.id::text, u.id FROM anchor_agency a, auth_user u
                         WHERE u.username = 'anchor_finance'
                     UNION ALL SELECT %s, %s, a.id::text, u.id FROM anchor_agency a, auth_user u
                         WHERE u.username = 'anchor_leader' AND a.code = 'BAPPROVE'""",
                  [perm["head_section"], ct[Section], perm["review_agency"], ct[Agency], perm["lead_agency"], ct[Agency]])
        # viewflow's pages need the model-level view permission on the process (granted through a group, as usual)
        c.execute("DELETE FROM auth_group_permissions; DELETE FROM auth_group")
        c.execute("INSERT INTO auth_group (name) VALUES ('reviewers')")
        c.execute("""INSERT INTO auth_group_permissions (group_id, permission_id)
                     SELECT g.id, p.id FROM auth_group g, auth_permission p JOIN django_content_type t ON t.id = p.content_type_id
                     WHERE t.app_label = 'viewflow' AND t.model = 'process' AND p.codename = 'view_process'""")
        c.execute("""INSERT INTO auth_user_groups (user_id, group_id) SELECT u.id, g.id FROM auth_user u, auth_group g""")
        c.execute("""UPDATE auth_user u SET username = 'anchor_head' FROM anchor_section s JOIN anchor_agency a ON a.id = s.agency_id
                     WHERE a.code = 'BAPPROVE' AND u.username = 'ah_' || s.id
                     AND s.id = (SELECT min(s2.id) FROM anchor_section s2 WHERE s2.agency_id = a.id)""")
    with connection.cursor() as c:
        for table in ("anchor_agency", "anchor_section", "anchor_sheet", "viewflow_process", "viewflow_task",
                      "auth_user", "guardian_userobjectpermission"):
            c.execute(f"VACUUM ANALYZE {table}")
        c.execute("SELECT count(*) FROM anchor_sheet")
        sheets = c.fetchone()[0]
    return {"sheets": sheets, "seconds": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.anchor.settings")
    django.setup()
    from benchmarks.scales import SCALES

    print(fill(SCALES[sys.argv[1]]))
