from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from projects.models import Agency, FiscalYear, Indicator, Project, SpendPlan, TargetSheet
from people import roles
from people.services import role_grant
from workflow import services


def _user(username, **extra):
    user = get_user_model().objects.create_user(username=username, password="pw", email=f"{username}@example.gov.cn", **extra)
    return user


@pytest.fixture
def people(demo):
    """Named users: the demo's people plus a whole other agency (483099) with its own section and reviewers."""
    User = get_user_model()
    named = {u.username: u for u in User.objects.all()}
    other_agency = Agency.objects.create(code="483099", name="乐亭县其他局本级")
    other_section = other_agency.sections.create(name="其他局办公室")
    outsiders = {
        "other_staff": _user("other_staff"),
        "other_head": _user("other_head"),
        "other_leader": _user("other_leader"),
        "other_finance": _user("other_finance"),
        "nobody": _user("nobody"),
    }
    role_grant(user=outsiders["other_staff"], role=roles.STAFF, scope=other_section)
    role_grant(user=outsiders["other_head"], role=roles.SECTION_HEAD, scope=other_section)
    role_grant(user=outsiders["other_leader"], role=roles.LEADER, scope=other_agency)
    role_grant(user=outsiders["other_finance"], role=roles.FINANCE_REVIEWER, scope=other_agency)
    return SimpleNamespace(**named, **outsiders, other_agency=other_agency, other_section=other_section)


@pytest.fixture
def sheet(people):
    """Sheet 3 (公共资源交易中心经费, section 公共资源交易中心, no checker error), in draft."""
    return TargetSheet.objects.get(position=3, fiscal_year__year=2024)


@pytest.fixture
def foreign_sheet(people):
    """A clean draft of the other agency, for the 'other agency' side of permission tests."""
    year = FiscalYear.objects.get(year=2024)
    project = Project.objects.create(agency=people.other_agency, section=people.other_section, code="99OTHER0001", name="其他局项目")
    sheet = TargetSheet.objects.create(
        project=project, fiscal_year=year, agency=people.other_agency, section=people.other_section, position=1,
        budget_total=Decimal("5.00"), fiscal_funds=Decimal("5.00"), purpose="办公", goal="完成",
    )
    for checkpoint in year.checkpoints.all():
        SpendPlan.objects.create(sheet=sheet, checkpoint=checkpoint, cumulative_percent=checkpoint.planned_percent)
    rows = [
        ("产出指标", "数量指标", "数量", "≥1个"), ("产出指标", "质量指标", "质量", "≥98%"),
        ("产出指标", "时效指标", "时效", "≥98%"), ("产出指标", "成本指标", "成本", "≤5万元"),
        ("效益指标", "社会效益指标", "效益", "有效改善"), ("满意度指标", "服务对象满意度指标", "满意度", "≥95%"),
    ]
    for order, (category, subcategory, name, value) in enumerate(rows):
        Indicator.objects.create(sheet=sheet, order=order, category=category, subcategory=subcategory, name=name, target_value=value)
    return sheet


def drive(sheet, *steps):
    """Run moves in order: ("submit", user), ("approve", user), ("return", user, comment)…"""
    moves = {"submit": services.document_submit, "approve": services.document_approve, "withdraw": services.document_withdraw}
    for step in steps:
        name, user, *rest = step
        if name == "return":
            services.document_return(document=sheet, user=user, comment=rest[0])
        elif name == "submit" and sheet.state == "returned":  # a resubmission carries its 修改说明
            services.document_submit(document=sheet, user=user, comment=rest[0] if rest else "已按退回意见修改")
        else:
            moves[name](document=sheet, user=user)
    sheet.refresh_from_db()
    return sheet


@pytest.fixture
def to_state(people):
    """Bring a sheet of section 公共资源交易中心 to a given state through the real services."""
    chains = {
        "draft": [],
        "section_review": [("submit", people.staff_ggzy)],
        "leader_review": [("submit", people.staff_ggzy), ("approve", people.head_ggzy)],
        "finance_review": [("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader)],
        "published": [("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance)],
        "returned": [("submit", people.staff_ggzy), ("return", people.head_ggzy, "请补充")],
    }

    def bring(sheet, state):
        return drive(sheet, *chains[state])

    return bring
