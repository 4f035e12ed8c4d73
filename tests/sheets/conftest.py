from tests.workflow.conftest import drive, foreign_sheet, people, sheet, to_state  # noqa: F401 — fixtures shared with the workflow tests
