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
    assert len(result.updated) + len(result.unchanged) == 9  # the seeded drafts hold the document: left alone


@pytest.mark.django_db
def test_export_agency_package(benchmark, demo):
    agency = Agency.objects.get(code="483001")
    data = benchmark(lambda: export_package(agency=agency, year=2024, target=io.BytesIO()))
    assert len(data.sheets) == 9


# ---------------------------------------------------------------- an agency with 100 / 1,000 sheets (issue 11)


@pytest.fixture
def agency_with_sheets(demo):
    """A new agency with N sheets (8 indicators, 4 plan points each), half published, built with bulk_create."""
    from tests.exports.conftest import bulk_sheets

    def build(count: int) -> Agency:
        agency = Agency.objects.create(code=f"49{count:04d}", name=f"压测单位{count}")
        bulk_sheets(agency, agency.sections.create(name="压测科室"), count, year=2024, prefix="BENCH")
        return agency

    return build


@pytest.mark.django_db
@pytest.mark.parametrize("sheets", [100, 1000])
def test_export_package_of_many_sheets(benchmark, agency_with_sheets, sheets):
    """The whole Word export the background job runs: read the sheets from PostgreSQL and write the package.
    Linear in the sheets: compare the 100- and 1,000-sheet means (≈ 10×)."""
    agency = agency_with_sheets(sheets)
    data = benchmark.pedantic(lambda: export_package(agency=agency, year=2024, target=io.BytesIO()), rounds=3, iterations=1)
    assert len(data.sheets) == sheets


@pytest.mark.parametrize("sheets", [100, 1000])
def test_write_package_of_many_sheets(benchmark, sheets):
    """The writer alone (no database): the seed's sheets repeated."""
    import dataclasses

    seed = read_document(SEED_DOCX)
    data = dataclasses.replace(seed, sheets=[dataclasses.replace(seed.sheets[n % 9], number=n + 1) for n in range(sheets)])
    benchmark.pedantic(lambda: write_document(data, io.BytesIO()), rounds=5, iterations=1)
