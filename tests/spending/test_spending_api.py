"""GET/POST /api/sheets/{id}/spend-reports/: the section's staff record spending; JSON errors in Chinese."""

import pytest

from spending.models import SpendReport


@pytest.fixture
def sheet(make_sheet, publish):
    return publish(make_sheet(budget="10.00"))


def url(sheet):
    return f"/api/sheets/{sheet.pk}/spend-reports/"


def post(client, sheet, **data):
    return client.post(url(sheet), data, content_type="application/json")


def test_anonymous_is_refused(client, sheet):
    assert client.get(url(sheet)).status_code in (401, 403)
    assert post(client, sheet, checkpoint="2024-06-30", amount="5").status_code in (401, 403)
    assert not SpendReport.objects.exists()


def test_owner_records_by_date_then_replaces_by_id(client, org, sheet):
    client.force_login(org.owner)

    created = post(client, sheet, checkpoint="2024-06-30", amount="4.50", explanation="采购延后")

    assert created.status_code == 201
    body = created.json()
    assert (body["checkpoint_label"], body["amount"], body["actual_percent"], body["planned_percent"]) == (
        "6月底", "4.50", "45.00", "50.00",
    )
    assert (body["level"], body["level_label"], body["reported_by"]) == ("yellow", "黄色预警", "owner")
    june = org.year.checkpoints.get(date="2024-06-30")

    replaced = post(client, sheet, checkpoint=str(june.pk), amount="5")

    assert replaced.status_code == 200 and replaced.json()["level"] == "green"
    assert SpendReport.objects.get().amount == 5
    assert "messages" not in replaced.cookies


def test_the_list_has_every_checkpoint_of_the_year(client, org, sheet):
    client.force_login(org.owner)
    post(client, sheet, checkpoint="2024-03-31", amount="2.50")

    items = client.get(url(sheet)).json()

    assert [(i["checkpoint_date"], i["amount"]) for i in items] == [
        ("2024-03-31", "2.50"), ("2024-06-30", None), ("2024-10-31", None), ("2024-12-31", None),
    ]
    assert items[0]["level"] == "green" and items[0]["reported_by"] == "owner"


@pytest.mark.parametrize("data, status, detail", [
    ({"checkpoint": "2024-06-30", "amount": "12"}, 400, "累计实际支出 12 万元超过预算数 10 万元。"),
    ({"checkpoint": "2024-06-30", "amount": "4"}, 400, "实际支出进度 40% 低于计划 50%，请填写进度说明（原因和措施）。"),
    ({"checkpoint": "2024-07-31", "amount": "4"}, 400, "时间节点“2024-07-31”不属于这张表的预算年度"),
])
def test_refusals_are_json_in_chinese(client, org, sheet, data, status, detail):
    client.force_login(org.owner)
    response = post(client, sheet, **data)
    assert response.status_code == status
    assert response.json()["detail"].startswith(detail) and response.json()["code"] == "invalid"
    assert not SpendReport.objects.exists()


def test_a_missing_amount_names_the_field(client, org, sheet):
    client.force_login(org.owner)
    response = post(client, sheet, checkpoint="2024-06-30")
    assert response.status_code == 400 and response.json()["amount"] == ["该字段是必填项。"]


@pytest.mark.parametrize("who", ["head", "leader", "finance"])
def test_readers_cannot_record(client, org, sheet, who):
    client.force_login(getattr(org, who))
    assert client.get(url(sheet)).status_code == 200
    response = post(client, sheet, checkpoint="2024-06-30", amount="5")
    assert response.status_code == 403
    assert response.json() == {"detail": "只有本科室经办人可以填报执行进度。", "code": "permission_denied"}


def test_another_section_is_refused(client, org, sheet):
    client.force_login(org.colleague)
    assert client.get(url(sheet)).status_code == 403
    assert post(client, sheet, checkpoint="2024-06-30", amount="5").status_code == 403


def test_another_agency_is_refused_or_does_not_find_the_sheet(client, org, sheet, make_sheet):
    client.force_login(org.outsider)
    assert client.get(url(sheet)).status_code == 403
    response = client.get(url(make_sheet()))
    assert response.status_code == 404 and response.json()["detail"]


def test_a_draft_cannot_be_reported_on(client, org, make_sheet):
    client.force_login(org.owner)
    response = post(client, make_sheet(), checkpoint="2024-06-30", amount="5")
    assert response.status_code == 409 and response.json()["code"] == "illegal_state"
