"""/sheets/<pk>/spending/: plan against actual as a chart and table; the section's staff record the spending."""

import pytest

from spending.models import SpendReport


@pytest.fixture
def sheet(make_sheet, publish):
    return publish(make_sheet(budget="10.00"))


def url(sheet):
    return f"/sheets/{sheet.pk}/spending/"


def june(org):
    return org.year.checkpoints.get(date="2024-06-30").pk


def test_anonymous_is_sent_to_login(client, sheet):
    response = client.get(url(sheet))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_owner_sees_the_chart_the_table_and_the_form(client, org, sheet):
    client.force_login(org.owner)

    response = client.get(url(sheet))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"执行进度：{sheet.display_title}" in page
    assert 'data-testid="spend-chart"' in page and "<polyline" in page
    assert page.count('data-checkpoint="2024-') == 4
    assert 'data-testid="spend-form"' in page and 'name="amount"' in page


def test_owner_records_and_sees_the_colour(client, org, sheet):
    client.force_login(org.owner)

    response = client.post(url(sheet), {"checkpoint": june(org), "amount": "4.50", "explanation": "采购延后"}, follow=True)

    page = response.content.decode()
    assert "已保存“6月底”执行进度：累计支出 4.5 万元（45%）。" in page
    assert 'data-checkpoint="2024-06-30" data-level="yellow"' in page and "采购延后" in page
    assert SpendReport.objects.get(sheet=sheet).amount == 4.5


def test_a_refused_report_shows_the_reason_and_saves_nothing(client, org, sheet):
    client.force_login(org.owner)

    response = client.post(url(sheet), {"checkpoint": june(org), "amount": "4.00"})

    assert response.status_code == 400
    assert "实际支出进度 40% 低于计划 50%，请填写进度说明（原因和措施）。" in response.content.decode()
    assert not SpendReport.objects.exists()


def test_an_amount_over_budget_is_refused(client, org, sheet):
    client.force_login(org.owner)
    response = client.post(url(sheet), {"checkpoint": june(org), "amount": "12"})
    assert response.status_code == 400 and "超过预算数 10 万元" in response.content.decode()


@pytest.mark.parametrize("who", ["head", "leader", "finance"])
def test_the_head_leader_and_finance_read_but_do_not_record(client, org, sheet, who):
    client.force_login(getattr(org, who))

    page = client.get(url(sheet)).content.decode()
    assert "执行进度由本科室经办人填报。" in page and 'name="amount"' not in page

    response = client.post(url(sheet), {"checkpoint": june(org), "amount": "5.00"})
    assert response.status_code == 403
    assert not SpendReport.objects.exists()


def test_staff_of_another_section_are_refused(client, org, sheet):
    client.force_login(org.colleague)
    assert client.get(url(sheet)).status_code == 403
    assert client.post(url(sheet), {"checkpoint": june(org), "amount": "5.00"}).status_code == 403
    assert not SpendReport.objects.exists()


def test_another_agency_is_refused_and_cannot_find_an_unpublished_sheet(client, org, sheet, make_sheet):
    client.force_login(org.outsider)
    assert client.get(url(sheet)).status_code == 403  # published sheets are public, their spending is not
    assert client.get(url(make_sheet())).status_code == 404


def test_a_draft_shows_that_reporting_starts_after_publication(client, org, make_sheet):
    draft = make_sheet()
    client.force_login(org.owner)

    page = client.get(url(draft)).content.decode()
    assert "公开后才能填报执行进度" in page and 'name="amount"' not in page

    response = client.post(url(draft), {"checkpoint": june(org), "amount": "5.00"})
    assert response.status_code == 409 and "公开后才能填报执行进度" in response.content.decode()


def test_a_draft_of_a_past_year_warns_of_no_missing_report(client, org, make_sheet):
    """Every checkpoint of 2024 has passed, but a draft is not executed against: no 未填报, no red, in the page and the API."""
    draft = make_sheet()
    client.force_login(org.owner)

    page = client.get(url(draft)).content.decode()

    assert page.count('data-level="not_due"') >= 4 and 'data-level="red"' not in page
    assert "未填报" not in page and page.count("公开后填报") == 4
    points = client.get(f"/api/sheets/{draft.pk}/spend-reports/").json()
    assert [p["level"] for p in points] == ["not_due"] * 4 and {p["level_label"] for p in points} == {"公开后填报"}
