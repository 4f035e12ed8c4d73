from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

SEED_DOCX = Path(settings.BASE_DIR) / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"


@pytest.fixture
def seed_docx() -> Path:
    return SEED_DOCX


@pytest.fixture
def seeded(db):
    """The seed document imported for 2024 (no sections, no users)."""
    from projects.docx.reader import read_document
    from projects.services import document_import

    return document_import(data=read_document(SEED_DOCX), year=2024)


@pytest.fixture
def demo(db):
    """``seed_demo``: the seed plus sections and one user for every role."""
    call_command("seed_demo", stdout=open("/dev/null", "w"))
