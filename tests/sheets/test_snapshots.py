from sheets.snapshots import diff_snapshots


def snapshot(**changes):
    base = {
        "project_name": "经费", "title": "经费", "budget_total": "10.00", "fiscal_funds": "10.00", "other_funds": "0.00",
        "purpose": "用途", "goal": "目标",
        "plan": [{"label": "3月底", "percent": "25.00"}, {"label": "12月底", "percent": "100.00"}],
        "indicators": [
            {"category": "产出指标", "subcategory": "数量指标", "name": "数量", "description": "", "target_value": "≥150件", "basis": ""},
            {"category": "产出指标", "subcategory": "成本指标", "name": "成本", "description": "", "target_value": "≤10万元", "basis": ""},
        ],
    }
    base.update(changes)
    return base


def test_identical_snapshots_have_no_diff():
    assert diff_snapshots(snapshot(), snapshot()).is_empty


def test_changed_fields_plan_and_rows_are_listed():
    after = snapshot(purpose="新用途", plan=[{"label": "3月底", "percent": "30.00"}, {"label": "12月底", "percent": "100.00"}])
    after["indicators"] = [dict(after["indicators"][0], target_value="≥160件")]
    after["indicators"].append({"category": "满意度指标", "subcategory": "服务对象满意度指标", "name": "满意度", "description": "", "target_value": "≥95%", "basis": ""})
    diff = diff_snapshots(snapshot(), after)
    assert [(c.label, c.before, c.after) for c in diff.fields] == [("资金用途", "用途", "新用途")]
    assert [(c.label, c.before, c.after) for c in diff.plan] == [("支出计划 3月底", "25.00%", "30.00%")]
    assert [(r.kind, r.key) for r in diff.rows] == [
        ("changed", "产出指标 / 数量指标 / 数量"),
        ("added", "满意度指标 / 服务对象满意度指标 / 满意度"),
        ("removed", "产出指标 / 成本指标 / 成本"),
    ]
    assert [(c.label, c.before, c.after) for c in diff.rows[0].changes] == [("指标值", "≥150件", "≥160件")]
