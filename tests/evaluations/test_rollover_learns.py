"""由上年结转 learns from the year (issue 22 item 5): the editor of a sheet rolled over from a year whose
self-evaluation exists shows, beside each indicator, last year's actual value and score, and above them last year's
total, grade and 执行率; nothing where last year has no self-evaluation."""

from __future__ import annotations

from django.test import Client

from sheets.rollover import sheets_rollover
from tests.evaluations.test_publication import _published


def _editor(user, sheet) -> str:
    client = Client()
    client.force_login(user)
    answer = client.get(f"/sheets/{sheet.pk}/edit/")
    assert answer.status_code == 200
    return answer.content.decode()


def test_the_rolled_over_sheet_shows_last_years_results_in_the_editor(org, evaluation, make_sheet, publish):
    _published(org, evaluation, spent="46")  # the worked example: 87.95, 良, 执行率 92%
    plain = publish(make_sheet(title="未自评项目"))
    result = sheets_rollover(agency=org.agency, from_year=2024, to_year=2025, user=org.owner, section=org.office)
    rolled = {sheet.rolled_over_from_id: sheet for sheet in result.created}
    page = _editor(org.owner, rolled[evaluation.sheet_id])
    assert "2024年绩效自评：总分 <strong>87.95</strong>（良），预算执行率 92.00%" in page
    assert "2024年实际 9000件，得分 27.00 / 30.00" in page
    assert "2024年实际 2.5%，得分 11.25 / 15.00" in page
    assert "2024年实际 部分达成，得分 10.50 / 15.00" in page  # a qualitative row: its level
    assert page.count('data-testid="last-result"') == 5
    other = _editor(org.owner, rolled[plain.pk])
    assert 'data-testid="last-result"' not in other and "年绩效自评" not in other
