"""On demand: `make benchmark`. Times the Word round trip of the seed document."""

import io

import pytest

from projects.docx.reader import read_document
from projects.docx.writer import write_document
from projects.exporting import export_package
from projects.models import Agency
from projects.services import document_import
from tests.conftest import SEED_DOCX


def test_read_seed_docx(benchmark):
    data = benchmark(read_document, SEED_DOCX)
    assert len(data.sheets) == 9


def test_write_seed_docx(benchmark):
    data = read_document(SEED_DOCX)
    benchmark(lambda: write_document(data, io.BytesIO()))


@pytest.mark.django_db
def test_import_seed_into_database(benchmark, demo):
    data = read_document(SEED_DOCX)
    result = benchmark(lambda: document_import(data=data, year=2024))
    assert len(result.updated) == 9


@pytest.mark.django_db
def test_export_agency_package(benchmark, demo):
    agency = Agency.objects.get(code="483001")
    data = benchmark(lambda: export_package(agency=agency, year=2024, target=io.BytesIO()))
    assert len(data.sheets) == 9
