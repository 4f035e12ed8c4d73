"""The self-evaluation's form page: started from a published sheet, pre-filled, scored on save with the rule and the
numbers beside each score, a refusal shown with what was typed, the moves' buttons; refused to outsiders."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluations.models import SelfEvaluation


@pytest.fixture
def browser(org):
    def client_for(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return client_for


def form_of(evaluation, **rows_by_name):
    data = {"version": evaluation.version, "spent": "46", "conclusion": "基本完成。", "problems": "办件量不足。", "improvements": "优化配置。"}
    for row in evaluation.rows.all():
        for name, value in rows_by_name.get(row.name, {}).items():
            data[f"row-{row.pk}-{name}"] = value
        data.setdefault(f"row-{row.pk}-weight", str(row.weight))
    return data


WORKED_ROWS = {
    "办件量": {"actual": "9000件", "weight": "30", "reason": "窗口人员调整"},
    "按时办结率": {"actual": "99%", "weight": "20"},
    "投诉率": {"actual": "2.5%", "reason": "投诉增多"},
    "可持续影响": {"level": "部分达成", "score": "10.5", "reason": "机制尚在建立"},
    "满意度": {"actual": "95%"},
}


def test_started_from_the_sheet_filled_and_scored_on_save(browser, org, worked_sheet):
    owner = browser(org.owner)
    started = owner.post(f"/sheets/{worked_sheet.pk}/evaluation/")
    evaluation = SelfEvaluation.objects.get(sheet=worked_sheet)
    assert started.status_code == 302 and started["Location"] == f"/evaluations/{evaluation.pk}/"
    page = owner.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "绩效自评表" in page and "≥10000件" in page and 'name="spent" value="46.00"' in page
    saved = owner.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS))
    assert saved.status_code == 302
    page = owner.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert "87.95" in page and "良" in page
    assert "9000 ÷ 10000 × 30 = 27.00" in page and "(1 − (2.5 − 2) ÷ 2) × 15 = 11.25" in page
    assert 'data-testid="submit"' in page and "disabled" not in page.split('data-testid="submit"')[1][:40]


def test_a_refused_band_is_shown_with_what_was_typed(browser, org, evaluation):
    owner = browser(org.owner)
    rows = dict(WORKED_ROWS, 可持续影响={"level": "部分达成", "score": "13"})
    page = owner.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **rows)).content.decode()
    assert "得分应在 [9, 12) 之间，填写的 13 分不在此区间" in page
    assert 'value="13"' in page and 'value="9000件"' in page
    evaluation.refresh_from_db()
    assert evaluation.version == 1


def test_the_moves_from_the_page(browser, org, evaluation):
    browser(org.owner).post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS))
    evaluation.refresh_from_db()
    browser(org.owner).post(f"/evaluations/{evaluation.pk}/submit/", {"version": evaluation.version})
    evaluation.refresh_from_db()
    assert evaluation.state == "section_review"
    head = browser(org.head)
    page = head.get(f"/evaluations/{evaluation.pk}/").content.decode()
    assert 'data-testid="approve"' in page and 'name="spent"' not in page
    head.post(f"/evaluations/{evaluation.pk}/return/", {"version": evaluation.version, "comment": "请补充"})
    evaluation.refresh_from_db()
    assert evaluation.state == "returned"
    assert "请补充" in browser(org.owner).get(f"/evaluations/{evaluation.pk}/").content.decode()
    done = head.get("/tasks/done/").content.decode()  # 已办 names the evaluation and links to it
    assert f'href="/evaluations/{evaluation.pk}/"' in done and evaluation.display_title in done


def test_outsiders_are_refused_at_the_pages(browser, org, worked_sheet, evaluation):
    for user in (org.colleague, org.outsider, org.outsider_leader, None):
        client = browser(user)
        assert client.get(f"/evaluations/{evaluation.pk}/").status_code in (302, 404)
        assert client.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS)).status_code in (302, 404)
        assert client.post(f"/evaluations/{evaluation.pk}/submit/", {"version": 1}).status_code in (302, 404)
    evaluation.refresh_from_db()
    assert (evaluation.version, evaluation.state, evaluation.conclusion) == (1, "draft", "")


def test_in_the_inbox_and_on_a_wecom_card(browser, org, evaluation):
    from notifications import cards
    from notifications.models import Notification
    from workflow import services as moves

    assert f'href="/evaluations/{evaluation.pk}/"' in browser(org.owner).get("/tasks/").content.decode()  # a draft to fill
    browser(org.owner).post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS))
    evaluation.refresh_from_db()
    moves.document_submit(document=evaluation, user=org.owner)
    inbox = browser(org.head).get("/tasks/").content.decode()
    task = inbox.split(f'href="/evaluations/{evaluation.pk}/"')
    assert len(task) == 2 and "科室审核" in task[1][:2000]
    assert f'value="{evaluation.pk}" class="batch-pick"' not in inbox  # approved one at a time
    notice = Notification.objects.get(evaluation=evaluation, recipient=org.head, kind="submit", channel="in_app")  # the card is built from any of its channels
    card = cards.approval_card(notice, "head.wx")
    facts = {f["keyname"]: f["value"] for f in card.payload["horizontal_content_list"]}
    assert card.payload["main_title"]["title"] == "待科室审核"
    assert facts["自评得分"] == "87.95 分，良" and facts["提交人"] == "王经办"
    assert card.record.evaluation_id == evaluation.pk and card.record.sheet_id is None
    assert card.payload["card_action"]["url"].endswith(f"next=%2Fevaluations%2F{evaluation.pk}%2F")


def test_the_list_offers_the_sheets_to_evaluate_and_shows_the_evaluations(browser, org, worked_sheet):
    owner = browser(org.owner)
    page = owner.get("/evaluations/").content.decode()
    assert 'data-testid="start-evaluation"' in page and worked_sheet.display_title in page
    assert 'data-testid="start-evaluation"' not in browser(org.colleague).get("/evaluations/").content.decode()
    owner.post(f"/sheets/{worked_sheet.pk}/evaluation/")
    page = owner.get("/evaluations/").content.decode()
    assert 'data-testid="start-evaluation"' not in page and "草稿" in page
    assert worked_sheet.display_title not in browser(org.outsider).get("/evaluations/").content.decode()


def test_a_move_checks_the_version_the_page_posted(browser, org, evaluation):
    """A stale version is refused in Chinese and nothing moves; a form without a number moves on the state its page
    showed (the same reading as the department-wide one's moves)."""
    owner = browser(org.owner)
    assert owner.post(f"/evaluations/{evaluation.pk}/", form_of(evaluation, **WORKED_ROWS)).status_code == 302
    evaluation.refresh_from_db()
    page = owner.post(f"/evaluations/{evaluation.pk}/submit/", {"version": evaluation.version - 1}, follow=True)
    assert "请刷新页面后再操作" in page.content.decode()
    evaluation.refresh_from_db()
    assert evaluation.state == "draft"
    assert owner.post(f"/evaluations/{evaluation.pk}/submit/", {"version": "第二版"}).status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.state != "draft"
