"""viewflow.workflow is gone: a fresh database never gets its tables, and a database migrated before the squash of
workflow 0001–0002 (its tables and records still there) migrates to the same shape, its history kept. Each test
runs inside the test's transaction (PostgreSQL's DDL included), so the session's database is left as it was."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from projects.models import SheetState, TargetSheet
from workflow.models import Action, Event

SQUASHED = ("workflow", "0001_initial_squashed_0002_fsm_state_on_sheet")
DROP = ("workflow", "0009_drop_viewflow_tables")


def since_drop() -> set[tuple[str, str]]:
    """DROP and every migration written after it (which a database migrated before the squash has not run either)."""
    return set(MigrationExecutor(connection).loader.graph.backwards_plan(DROP))


def viewflow_tables() -> list[str]:
    return sorted(table for table in connection.introspection.table_names() if table.startswith("viewflow_"))


def viewflow_records() -> int:
    return MigrationRecorder(connection).migration_qs.filter(app="viewflow").count()


def as_left_by_the_old_migrations():
    """What the old workflow 0001–0002 left behind: viewflow's (empty) tables, which point at each other, its
    migrations recorded, the replaced workflow migrations recorded but neither the squash nor 0008."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE viewflow_process (id bigserial PRIMARY KEY, flow_class varchar(250), parent_task_id bigint)")
        cursor.execute("CREATE TABLE viewflow_task (id bigserial PRIMARY KEY, process_id bigint NOT NULL REFERENCES viewflow_process (id))")
        cursor.execute("ALTER TABLE viewflow_process ADD FOREIGN KEY (parent_task_id) REFERENCES viewflow_task (id)")
        cursor.execute(
            "CREATE TABLE viewflow_task_previous (id bigserial PRIMARY KEY,"
            " from_task_id bigint REFERENCES viewflow_task (id), to_task_id bigint REFERENCES viewflow_task (id))"
        )
    with connection.cursor() as cursor:  # the history table as it was then (workflow 0011 renamed it, added the checks)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own rows checked now: the tables may be altered
        cursor.execute("ALTER TABLE workflow_event DROP COLUMN resume_state")  # workflow 0013 added it
        cursor.execute("ALTER TABLE workflow_event DROP COLUMN on_behalf_of_id")  # workflow 0015 added it (委托)
        cursor.execute("ALTER TABLE workflow_event DROP CONSTRAINT event_one_document")
        cursor.execute("ALTER TABLE workflow_event RENAME TO workflow_sheetevent")
        cursor.execute("ALTER TABLE notifications_pendingfanout DROP CONSTRAINT pending_fan_out_one_document")
        cursor.execute("ALTER TABLE notifications_pendingfanout DROP COLUMN round_actors")  # notifications 0017 adds it
        cursor.execute("ALTER TABLE notifications_wecomcard DROP CONSTRAINT wecom_card_one_document")
        # nor had it the self-evaluation's foreign keys (workflow 0012, notifications 0010 add them)
        for table in ("workflow_sheetevent", "notifications_notification", "notifications_pendingfanout", "notifications_wecomcard"):
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN evaluation_id")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN goals_id")  # nor the department goals' (workflow 0015, notifications 0012)
            # nor the monitoring report's and the 处置's (workflow 0018, notifications 0014 add them)
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN monitoring_report_id")
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN disposal_id")
            # nor the department-wide self-evaluation's (workflow 0019, notifications 0015)
            cursor.execute(f"ALTER TABLE {table} DROP COLUMN department_evaluation_id")
    recorder = MigrationRecorder(connection)
    for name in ("0001_initial", "0010_viewflow20", "0015_task_scheduled"):
        recorder.record_applied("viewflow", name)
    recorder.record_unapplied(*SQUASHED)
    for later in since_drop():
        recorder.record_unapplied(*later)
    assert recorder.migration_qs.filter(app="workflow", name__in=["0001_initial", "0002_fsm_state_on_sheet"]).count() == 2


def migrate_to_the_end():
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    executor.migrate(targets, plan=plan)
    return [(migration.app_label, migration.name) for migration, _backwards in plan]


def test_a_fresh_database_has_no_viewflow_workflow_table(db):
    assert not apps.is_installed("viewflow.workflow")
    assert viewflow_tables() == []
    assert viewflow_records() == 0


def test_a_database_migrated_before_the_squash_only_drops_viewflows_tables(demo):
    sheet = TargetSheet.objects.order_by("pk").first()
    Event.objects.create(sheet=sheet, action=Action.SUBMIT, from_state=SheetState.DRAFT, to_state=SheetState.SECTION_REVIEW)
    as_left_by_the_old_migrations()
    assert viewflow_tables() == ["viewflow_process", "viewflow_task", "viewflow_task_previous"]

    assert set(migrate_to_the_end()) == since_drop()  # the squash counts as applied: its two migrations were

    assert viewflow_tables() == []
    assert viewflow_records() == 0
    assert MigrationRecorder(connection).migration_qs.filter(app=SQUASHED[0], name=SQUASHED[1]).exists()
    assert Event.objects.filter(sheet=sheet, action=Action.SUBMIT).count() == 1
    assert migrate_to_the_end() == []


def test_a_process_left_in_viewflows_tables_keeps_them(db, capsys):
    as_left_by_the_old_migrations()
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO viewflow_process (flow_class) VALUES ('other/flows.OtherFlow')")

    assert set(migrate_to_the_end()) == since_drop()

    assert viewflow_tables() == ["viewflow_process", "viewflow_task", "viewflow_task_previous"]
    assert viewflow_records() == 3
    assert "viewflow_process 中仍有 1 行流程数据" in capsys.readouterr().out
