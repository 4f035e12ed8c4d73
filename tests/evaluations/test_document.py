"""The self-evaluation on the approval engine: pre-filled from the sheet, scored on save, moved section → leader →
finance with the engine's history, 待办 and notifications."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import AppError
from evaluations import services
from evaluations.models import SelfEvaluation
from notifications.models import Notification
from workflow import services as moves
from workflow.models import Event
from workflow.selectors import review_tasks

D = Decimal


def test_prefilled_from_the_sheet_with_default_weights_and_the_year_end_spending(evaluation, worked_sheet):
    rows = list(evaluation.rows.all())
    assert [r.name for r in rows] == ["办件量", "按时办结率", "投诉率", "可持续影响", "满意度"]
    assert [r.target for r in rows] == ["≥10000件", "≥98%", "≤2%", "有效提升", "≥90%"]
    # 产出 50 over two rows, 效益 30 over two, 满意度 10
    assert [r.weight for r in rows] == [D(25), D(25), D(15), D(15), D(10)]
    assert (evaluation.budget, evaluation.adjusted_budget, evaluation.spent) == (D("50.00"), D("50.00"), D("46.00"))
    assert evaluation.state == "draft" and evaluation.total is None
    assert evaluation.check_errors > 0


def fill(evaluation, user, **extra):
    rows = {r.name: r.pk for r in evaluation.rows.all()}
    return services.evaluation_edit(
        evaluation=evaluation, user=user, expected_version=evaluation.version,
        rows={
            rows["办件量"]: {"actual": "9000件", "weight": "30", "reason": "窗口人员调整"},
            rows["按时办结率"]: {"actual": "99%", "weight": "20"},
            rows["投诉率"]: {"actual": "2.5%", "reason": "新系统上线初期投诉增多"},
            rows["可持续影响"]: {"level": "部分达成", "score": "10.5", "reason": "长效机制尚在建立"},
            rows["满意度"]: {"actual": "95%"},
        },
        **{"conclusion": "基本完成年度目标。", "problems": "办件量未达预期。", "improvements": "优化窗口配置。", **extra},
    )


def test_saving_scores_the_worked_example(evaluation, org):
    fill(evaluation, org.owner)
    evaluation.refresh_from_db()
    assert [r.score for r in evaluation.rows.all()] == [D("27.00"), D("20.00"), D("11.25"), D("10.50"), D("10.00")]
    assert (evaluation.budget_score, evaluation.total, evaluation.grade, evaluation.check_errors) == (D("9.20"), D("87.95"), "良", 0)


def test_from_draft_to_published_with_a_return_on_the_engine(evaluation, org):
    with pytest.raises(AppError) as refused:  # the content check: nothing typed yet
        moves.document_submit(document=evaluation, user=org.owner)
    assert "实际完成值" in refused.value.message
    fill(evaluation, org.owner)
    moves.document_submit(document=evaluation, user=org.owner)
    assert list(review_tasks(org.head, SelfEvaluation)) == [evaluation]
    assert Notification.objects.filter(evaluation=evaluation, recipient=org.head, kind="submit").exists()
    moves.document_approve(document=evaluation, user=org.head)
    moves.document_return(document=evaluation, user=org.leader, comment="请补充存在问题")
    evaluation.refresh_from_db()
    assert evaluation.state == "returned"
    fill(evaluation, org.owner, problems="办件量未达预期；投诉率偏高。")
    moves.document_submit(document=evaluation, user=org.owner, comment="已补充")
    moves.document_approve(document=evaluation, user=org.head)
    moves.document_approve(document=evaluation, user=org.leader)
    moves.document_approve(document=evaluation, user=org.finance)
    evaluation.refresh_from_db()
    assert evaluation.state == "published"
    actions = list(Event.objects.filter(evaluation=evaluation).values_list("action", flat=True))
    assert actions == ["submit", "approve", "return", "submit", "approve", "approve", "publish"]
    published = Notification.objects.get(evaluation=evaluation, recipient=org.owner, kind="publish", channel="in_app")
    assert "绩效自评表" in published.body and published.url.endswith(f"/evaluations/{evaluation.pk}/")


def test_a_score_outside_the_band_and_a_weight_total_other_than_90_are_refused(evaluation, org):
    row = evaluation.rows.get(name="可持续影响")
    with pytest.raises(AppError) as band:
        services.evaluation_edit(evaluation=evaluation, user=org.owner, expected_version=evaluation.version,
                                 rows={row.pk: {"level": "部分达成", "score": "12"}})
    assert band.value.status == 400 and "[9, 12)" in band.value.message
    with pytest.raises(AppError) as weights:
        services.evaluation_edit(evaluation=evaluation, user=org.owner, expected_version=evaluation.version,
                                 rows={row.pk: {"weight": "20"}})
    assert "合计为 95 分，应为 90 分" in weights.value.message
    evaluation.refresh_from_db()
    assert evaluation.version == 1 and evaluation.rows.get(name="可持续影响").weight == D(15)


def test_one_per_sheet_and_only_its_section_drafts_it(org, worked_sheet, evaluation):
    with pytest.raises(AppError) as again:
        services.evaluation_create(sheet=worked_sheet, user=org.owner)
    assert again.value.status == 409
    SelfEvaluation.objects.filter(pk=evaluation.pk).delete()
    for outsider in (org.colleague, org.head, org.outsider):
        with pytest.raises(AppError) as refused:
            services.evaluation_create(sheet=worked_sheet, user=outsider)
        assert refused.value.status == 403
