import pytest

from library.services import library_rebuild
from tests.workflow.conftest import foreign_sheet, people, sheet, to_state  # noqa: F401 — shared fixtures


@pytest.fixture
def library(people):
    """The library rebuilt from every sheet in the database (the imported seed and the demo's data)."""
    library_rebuild()
