"""The one world of the tests: settings for every test, the demo loaded once, and the named people and sheets.

Two casts share the session's database (tests pick the one their story needs; both are fixtures here):

``people`` — the demo (``seed_demo``: the 乐亭县行政审批局 seed with a user for every role) plus a whole other agency:
    staff_ggzy / head_ggzy   经办人 / 科室负责人 of 公共资源交易中心, the section of ``sheet`` (seed sheet 3, a clean draft)
    leader / finance         局领导 / 财政审核人 of the seed agency
    other_staff, other_head, other_leader, other_finance   the same roles in another agency (483099)
    nobody                   signed in, no role
``org`` — a small agency of its own (489001) whose people have WeCom ids, for notification and WeCom stories:
    owner (王经办)            经办人 of 办公室 (the section with a group robot), who drafts and reports
    head (李科长), leader (赵局长), finance (钱审核)   the reviewers of 办公室's sheets
    colleague (孙经办), colleague_head (周科长)        another section (业务科) of the same agency
    outsider (吴经办), outsider_leader (郑局长)        another agency (489002)
Sheets: ``sheet`` and ``foreign_sheet`` (``people``), ``make_sheet()`` and ``publish(sheet)`` (``org``); ``to_state``
brings ``sheet`` to a state through the real services. The real parts (SMTP, fake WeCom, Celery) are tests/parts.py;
plain helpers (``drive``, ``make_user``, ``wait_for``) are tests/support.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import hypothesis
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from people import roles
from people.services import role_grant
from projects.models import Agency, FiscalYear, Indicator, Project, SpendPlan, TargetSheet
from tests.support import ROBOT_KEY, drive, make_user
from workflow import services

pytest_plugins = ["tests.parts"]

SEED_DOCX = Path(settings.BASE_DIR) / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"

# `make test-fast` runs with --hypothesis-profile=fast: each property test tries a tenth of its examples (they are
# written as multiples of ``hypothesis.settings.default.max_examples``, 100 by default).
hypothesis.settings.register_profile("fast", max_examples=10)


@pytest.fixture(scope="session")
def _exports_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(autouse=True)
def _test_settings(settings, _exports_dir):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Export files (background jobs, the sheet list's Excel) go to the run's temporary directory, not var/exports.
    settings.EXPORTS_ROOT = _exports_dir
    # Every test Client builds its own middleware: WhiteNoise finds a static file when it is asked for, instead of
    # listing every app's static files up front for each Client (0.05–0.2 s a Client, most of a permission matrix).
    settings.WHITENOISE_AUTOREFRESH = True
    # Mail stays in memory unless a test starts the loopback SMTP server (tests/parts.py).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(scope="session", autouse=True)
def _tasks_run_in_process():
    """Delivery tasks run in-process unless a test starts a real worker (the ``broker`` fixture):
    nothing is left queued in Redis for a worker that never comes."""
    from config.celery import app

    saved = app.conf.CELERY_TASK_ALWAYS_EAGER  # the app reads Django's CELERY_* names
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.CELERY_TASK_ALWAYS_EAGER = saved


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo once per run; each test rolls its own changes back."""
    with django_db_blocker.unblock():
        _seed_demo()


def _seed_demo():
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="finance").exists():
        with override_hashers():
            call_command("seed_demo", "--year", "2024", stdout=open("/dev/null", "w"))  # the seed's own year
    _ship_rule_packs()


def _ship_rule_packs():
    """The shipped 监控规则包 (a data migration's rows, which a transactional test's flush wipes)."""
    from importlib import import_module

    from django.apps import apps

    from monitoring.models import RulePack

    if not RulePack.objects.exists():
        import_module("monitoring.migrations.0002_shipped_rule_packs").ship(apps, None)


def override_hashers():
    from django.test import override_settings

    return override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@pytest.fixture
def seed_docx() -> Path:
    return SEED_DOCX


@pytest.fixture
def seeded(demo):
    """The seed document imported for 2024."""
    return demo


@pytest.fixture
def demo(db):
    """``seed_demo``: the seed plus sections and one user for every role (reloaded after a transactional test flushed it)."""
    _seed_demo()


# ---------------------------------------------------------------- the demo's cast (``people``)


@pytest.fixture
def people(demo):
    """Named users: the demo's people plus a whole other agency (483099) with its own section and reviewers."""
    User = get_user_model()
    named = {u.username: u for u in User.objects.all()}
    other_agency = Agency.objects.create(code="483099", name="乐亭县其他局本级")
    other_section = other_agency.sections.create(name="其他局办公室")
    outsiders = {
        "other_staff": make_user("other_staff"),
        "other_head": make_user("other_head"),
        "other_leader": make_user("other_leader"),
        "other_finance": make_user("other_finance"),
        "nobody": make_user("nobody"),
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


# ---------------------------------------------------------------- the small agency's cast (``org``)


@dataclass
class Org:
    agency: Agency
    office: object  # section with a group robot
    business: object  # another section of the agency
    other_agency: Agency
    year: FiscalYear
    owner: object
    head: object
    leader: object
    finance: object
    colleague: object
    colleague_head: object
    outsider: object
    outsider_leader: object


@pytest.fixture
def org(db) -> Org:
    year = FiscalYear.get_or_create_with_defaults(2024)
    agency = Agency.objects.create(code="489001", name="测试县行政审批局本级")
    office = agency.sections.create(name="办公室", wecom_robot_key=ROBOT_KEY)
    business = agency.sections.create(name="业务科")
    other_agency = Agency.objects.create(code="489002", name="测试县其他局本级")
    other_section = other_agency.sections.create(name="其他局办公室")
    people = Org(
        agency=agency, office=office, business=business, other_agency=other_agency, year=year,
        owner=make_user("owner", wecom_userid="owner.wx", first_name="王经办"),
        head=make_user("office_head", wecom_userid="head.wx", first_name="李科长"),
        leader=make_user("agency_leader", wecom_userid="leader.wx", first_name="赵局长"),
        finance=make_user("agency_finance", wecom_userid="finance.wx", first_name="钱审核"),
        colleague=make_user("colleague", wecom_userid="colleague.wx", first_name="孙经办"),
        colleague_head=make_user("colleague_head", first_name="周科长"),
        outsider=make_user("outsider", first_name="吴经办"),
        outsider_leader=make_user("outsider_leader", first_name="郑局长"),
    )
    role_grant(user=people.owner, role=roles.STAFF, scope=office)
    role_grant(user=people.head, role=roles.SECTION_HEAD, scope=office)
    role_grant(user=people.leader, role=roles.LEADER, scope=agency)
    role_grant(user=people.finance, role=roles.FINANCE_REVIEWER, scope=agency)
    role_grant(user=people.colleague, role=roles.STAFF, scope=business)
    role_grant(user=people.colleague_head, role=roles.SECTION_HEAD, scope=business)
    role_grant(user=people.outsider, role=roles.STAFF, scope=other_section)
    role_grant(user=people.outsider_leader, role=roles.LEADER, scope=other_agency)
    return people


INDICATORS = (
    ("产出指标", "数量指标", "服务事项", "≥10个"),
    ("产出指标", "质量指标", "系统正常运行率", "≥98%"),
    ("产出指标", "时效指标", "按时完成率", "≥95%"),
    ("产出指标", "成本指标", "经费控制数", "≤10万元"),
    ("效益指标", "社会效益指标", "营商环境", "有效改善"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
)


@pytest.fixture
def make_sheet(org):
    """A clean draft (no checker error) of a section: budget 10 万元, plan 25/50/75/100."""
    counter = iter(range(1, 1000))

    def make(section=None, *, agency=None, title="办公系统运维经费", budget="10.00"):
        section = section or org.office
        agency = agency or section.agency
        number = next(counter)
        project = Project.objects.create(
            agency=agency, section=section, code=f"13022524P00TEST{number:04d}", name=f"{title}{number}",
        )
        sheet = TargetSheet.objects.create(
            project=project, fiscal_year=org.year, agency=agency, section=section, position=number,
            budget_total=Decimal(budget), fiscal_funds=Decimal(budget), purpose="办公系统运维", goal="保障系统稳定运行",
        )
        for checkpoint in org.year.checkpoints.all():
            SpendPlan.objects.create(sheet=sheet, checkpoint=checkpoint, cumulative_percent=checkpoint.planned_percent)
        for order, (category, subcategory, name, value) in enumerate(INDICATORS):
            Indicator.objects.create(
                sheet=sheet, order=order, category=category, subcategory=subcategory, name=name, target_value=value
            )
        return sheet

    return make


@pytest.fixture
def publish(org):
    """Drive a sheet of 办公室 through every review step with the real services."""

    def run(sheet):
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
        services.document_approve(document=sheet, user=org.leader)
        services.document_approve(document=sheet, user=org.finance)
        sheet.refresh_from_db()
        return sheet

    return run
