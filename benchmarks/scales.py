"""The sizes ``make benchmark SCALE=…`` fills: a county (1,000 sheets), a province (200,000 = 20,000 budget units × 10
projects) and ``tiny``, which the test suite runs so the harness cannot rot."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    agencies: int
    projects_per_agency: int  # one sheet per project and year
    sections_per_agency: int
    indicators: int  # rows per sheet
    rounds: int  # every measurement runs this many times, interleaved with the anchor and the floor
    approvals_per_round: int
    deliveries_per_round: int
    export_sheets: int  # sheets of the agency whose Word package is exported
    export_rounds: int  # the Word export runs in this many of the rounds
    big_sheets: int = 1  # drafts of 200 indicators (agency XBIG)
    library_names: int = 40  # distinct indicator names over the bench sheets
    crowd: int = 10  # people of agency XPEOPLE
    review_sections: int = 4  # sections of the approval pool (BAPPROVE), each with its own 科室负责人
    rollover_agencies: int = 4  # agencies rolled over in one run (the rollover row)
    xlsx_rounds: int = 1  # the province-wide Excel export runs in this many of the rounds

    @property
    def sheets(self) -> int:
        return self.agencies * self.projects_per_agency


SCALES = {
    "tiny": Scale("tiny", 4, 5, 2, 8, 2, 4, 20, 5, 2, big_sheets=1, library_names=40, crowd=10,
                  review_sections=4, rollover_agencies=4, xlsx_rounds=1),
    "county": Scale("county", 100, 10, 2, 8, 3, 40, 1500, 200, 3, big_sheets=2, library_names=3_000,
                    crowd=100, review_sections=10, rollover_agencies=100, xlsx_rounds=3),
    "province": Scale("province", 20_000, 10, 2, 8, 3, 60, 4000, 1000, 3, big_sheets=5,
                      library_names=30_000, crowd=1_000, review_sections=20, rollover_agencies=1_000, xlsx_rounds=1),
}

# The approval pool: sheets waiting at 科室审核 in agency BAPPROVE, spread over ``review_sections`` sections (half of
# them in the first, bench_head's), approved over HTTP by each section's head in turn (benchmarks.realism).
APPROVAL_POOL_SPARE = 20
