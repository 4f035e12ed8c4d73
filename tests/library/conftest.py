import pytest

from library.services import library_rebuild


@pytest.fixture
def library(people):
    """The library rebuilt from every sheet in the database (the imported seed and the demo's data)."""
    library_rebuild()
