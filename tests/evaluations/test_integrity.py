"""check_workflow covers every document on the engine: a self-evaluation moved by raw SQL past its history is listed
under its own name and repaired back to what the history records, with a 系统校正 entry in its history."""

from __future__ import annotations

from evaluations.models import SelfEvaluation
from workflow.integrity import divergences, divergences_repair
from workflow.models import Action


def test_a_self_evaluation_published_by_raw_sql_is_listed_and_goes_back_to_its_recorded_step(org, evaluation):
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(state="published")  # a draft, published by raw SQL

    [found] = divergences()
    assert (found.document_id, found.code) == (evaluation.pk, "history")
    assert str(found) == f"绩效自评表 {evaluation.pk}：处于“已公开”却没有任何办理记录"

    divergences_repair(by=None)
    evaluation.refresh_from_db()
    assert evaluation.state == "draft" and divergences() == []
    repair = evaluation.events.get(action=Action.REPAIR)
    assert "系统校正" in repair.comment and "状态恢复为办理记录最后的状态“草稿”" in repair.comment
