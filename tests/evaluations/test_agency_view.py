"""单位自评总览 at a province's scale (issue 22 item 2, its benchmark row): the page reads a fixed number of queries
whatever the agency's size, its figures come from the self-evaluations alone (no sheet joined), and its red and yellow
flags are the same in the figures (counted in SQL) as on each row (``evaluations.tables.flags``), at their edges.

The flags, worked out (调整后预算数 100 万元 each; 指标得分 = 总分 − 预算执行得分; red: 指标得分 ÷ 90 exceeds 执行率 by
more than 5 points; yellow: 执行率 below 80%):
- A: 执行数 85.00 → 85.00%; 指标得分 81.00 → 90.00%: 90 − 85 = 5, not more than 5: no flag
- B: 执行数 84.99 → 84.99%; 指标得分 81.00 → 90.00%: 5.01: red
- C: 执行数 79.99 → 79.99%: yellow; 指标得分 72.00 → 80.00%: 0.01: not red
- D: 执行数 80.00 → 80.00%: not yellow; 指标得分 85.50 → 95.00%: 15: red
- E: 调整后 3 万元, 执行数 2.39 → 79.666…, rounded 79.67%: yellow; 指标得分 72.00 → 80.00%: 0.33: not red
- F: not scored (总分 empty), 执行数 50.00 → 50.00%: yellow only
- G: no 执行数: no rate, no flag
Red: B, D (2); yellow: C, E, F (3).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evaluations import agency as agency_reads
from evaluations import services, tables
from evaluations.models import SelfEvaluation
from tests.evaluations.test_department import goals  # noqa: F401 — the fixture

URL = "/agencies/489001/2024/evaluations/"

# name: (调整后预算数, 执行数, 指标得分 or None: not scored), expected (red, yellow)
CASES = {
    "A": (("100.00", "85.00", "81.00"), (False, False)),
    "B": (("100.00", "84.99", "81.00"), (True, False)),
    "C": (("100.00", "79.99", "72.00"), (False, True)),
    "D": (("100.00", "80.00", "85.50"), (True, False)),
    "E": (("3.00", "2.39", "72.00"), (False, True)),
    "F": (("100.00", "50.00", None), (False, True)),
    "G": (("100.00", None, None), (False, False)),
}


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _evaluated(org, make_sheet, publish, name, adjusted, spent, indicators) -> SelfEvaluation:
    sheet = publish(make_sheet(title=f"项目{name}"))
    evaluation = services.evaluation_create(sheet=sheet, user=org.owner)
    adjusted, spent = Decimal(adjusted), None if spent is None else Decimal(spent)
    budget_score = None if spent is None else min(spent / adjusted * 10, Decimal(10)).quantize(Decimal("0.01"))
    total = None if indicators is None or budget_score is None else budget_score + Decimal(indicators)
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(
        adjusted_budget=adjusted, spent=spent, budget_score=budget_score if total is not None else None, total=total,
        grade="良" if total is not None else "",
    )
    return evaluation


def test_the_flags_are_the_same_in_the_figures_and_on_each_row_at_their_edges(org, make_sheet, publish):
    made = {name: _evaluated(org, make_sheet, publish, name, *numbers) for name, (numbers, _flags) in CASES.items()}
    page = agency_reads.page_of(org.agency, org.year, size=50)
    rows = {row.title: row for row in (agency_reads.summary_row(line, agency=org.agency, fiscal_year=org.year, pending=None)
                                       for line in page.rows)}
    for name, (_numbers, expected) in CASES.items():
        row = next(row for title, row in rows.items() if title.startswith(f"项目{name}"))
        assert (row.red, row.yellow) == expected, name
        assert row.evaluation_id == made[name].pk
    assert rows[next(t for t in rows if t.startswith("项目E"))].rate == Decimal("79.67")
    figures = agency_reads.figures(org.agency, org.year)
    assert (figures.sheets, figures.evaluations, figures.scored, figures.red, figures.yellow) == (7, 7, 5, 2, 3)
    # the rows' rule, as the figures count it
    assert sum(tables.flags(total=r.total, budget_score=r.budget_score, rate=r.rate)[0] for r in rows.values()) == 2


def _page_queries(client) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(URL)
        assert answer.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("who", ["finance", "leader"])
def test_the_page_reads_seven_queries_whatever_the_agencys_size(org, make_sheet, publish, goals, who):  # noqa: F811
    """The session's user, the role check (two), the agency with its year, publication date, deadline,
    department-wide self-evaluation, count of sheets and figures (one), the page of sheets with their evaluations
    (one), and the nav's two badges: 7, for 3 evaluated sheets and for 8, and the figures read no sheet."""
    services.department_evaluation_create(agency=org.agency, year=2024, user=org.leader)
    services.publication_set(agency=org.agency, year=2024, public_from=None, user=org.finance)
    for name in "ABC":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])
    client = _client(getattr(org, who))
    client.get(URL)  # the session and the role caches warm
    few = _page_queries(client)
    for name in "DEFG":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])
    publish(make_sheet(title="未自评"))
    many = _page_queries(client)
    assert len(many) == len(few) <= 7, "\n".join(many)
    figures = next(sql for sql in many if "avg(total)" in sql.lower()).split("CROSS JOIN", 1)[1]
    assert "avg(total)" in figures and "projects_targetsheet" not in figures
    page = client.get(URL).content.decode()
    # the goals' published sheet (worked_sheet, not evaluated), A–G and 未自评
    assert page.count('data-testid="agency-row"') == 9 and "红色 2" in page and "黄色 3" in page
    assert 'data-testid="department-link"' in page and "/ 9 个项目" in page


def test_a_page_at_a_time_with_the_same_queries(org, make_sheet, publish):
    for name in "ABCDEFG":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])
    client = _client(org.finance)
    client.get(URL)
    first = client.get(URL + "?size=3").content.decode()
    assert first.count('data-testid="agency-row"') == 3 and "项目A" in first and "项目D" not in first
    import re

    cursor = re.search(r'href="\?(?:size=3&amp;)?cursor=([^"&]+)', first).group(1)
    with CaptureQueriesContext(connection) as captured:
        second = client.get(f"{URL}?size=3&cursor={cursor}").content.decode()
    assert second.count('data-testid="agency-row"') == 3 and "项目D" in second and "项目A" not in second
    assert len(captured.captured_queries) <= 7


def test_nothing_spent_shows_as_zero_not_as_missing(org, make_sheet, publish):
    """执行数 0 of 100 万元: 执行率 0.00% → yellow; the line says 0.00 (a missing 执行数 says —)."""
    _evaluated(org, make_sheet, publish, "Z", "100.00", "0.00", None)
    _evaluated(org, make_sheet, publish, "G", *CASES["G"][0])
    page = _client(org.finance).get(URL).content.decode()
    assert '<td data-label="执行数" class="num">0.00</td><td data-label="执行率" class="num">0.00%</td>' in page
    assert '<td data-label="执行数" class="num">—</td><td data-label="执行率" class="num">—</td>' in page
    assert page.count('data-testid="flag-yellow"') == 1


def test_the_public_page_reads_three_queries_and_refuses_an_unknown_year(org, make_sheet, publish, goals):  # noqa: F811
    """The agency with its year (the publication date, sheet count, department-wide evaluation and figures), a page
    of lines and the published goals: 3, whatever the agency's size."""
    for name in "ABC":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])
    anonymous = Client()
    anonymous.get("/public/agencies/489001/2024/")
    with CaptureQueriesContext(connection) as few:
        assert anonymous.get("/public/agencies/489001/2024/").status_code == 200
    for name in "DEFG":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])
    with CaptureQueriesContext(connection) as many:
        assert anonymous.get("/public/agencies/489001/2024/").status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 3
    assert anonymous.get("/public/agencies/489001/2099/").status_code == 404
    assert Client().get("/agencies/489001/2099/evaluations/").status_code == 302  # signed out: to the login page
    assert _client(org.finance).get("/agencies/489001/2099/evaluations/").status_code == 404


def test_an_unknown_or_unreadable_agency_code_and_another_agencys_reviewer_are_refused(org):
    """A code no agency has, one no column can hold (too long), and the other agency's leader: 404 on the agency's
    view (the codes on the public page too)."""
    finance = _client(org.finance)
    for code in ("NOPE", "9" * 30):
        assert finance.get(f"/agencies/{code}/2024/evaluations/").status_code == 404, code
        assert Client().get(f"/public/agencies/{code}/2024/").status_code == 404, code
    assert _client(org.outsider_leader).get(URL).status_code == 404
    assert _client(org.outsider_leader).post(URL, {"public_from": "2030-01-01"}).status_code == 404


def test_the_page_of_lines_walks_as_the_keyset_pages_do(org, make_sheet, publish):
    """``page_of`` (its own statement) gives the rows and tokens ``keyset_page`` gives over ``lines_of``: forward,
    back, and a damaged token is the first page."""
    from core.pagination import keyset_page

    for name in "ABCDE":
        _evaluated(org, make_sheet, publish, name, *CASES[name][0])

    def same(cursor):
        mine = agency_reads.page_of(org.agency, org.year, cursor=cursor, size=2)
        theirs = keyset_page(agency_reads.lines_of(org.agency, org.year), agency_reads.SHEET_ORDER, cursor=cursor, size=2)
        assert [tuple(row) for row in mine.rows] == [tuple(row) for row in theirs.rows]
        assert (mine.next_cursor, mine.previous_cursor) == (theirs.next_cursor, theirs.previous_cursor)
        return mine

    page, seen = same(None), []
    while True:
        seen += [row.id for row in page.rows]
        if page.next_cursor is None:
            break
        page = same(page.next_cursor)
    assert len(seen) == len(set(seen)) == agency_reads.sheets_of(org.agency, org.year).count()
    back = same(page.previous_cursor)
    assert back.rows and back.next_cursor
    assert same("not-a-token").rows == same(None).rows
    assert same("eyJrIjpbIngiLCJ5Il0sImIiOmZhbHNlfQ").rows == same(None).rows  # {"k":["x","y"],"b":false}
