import io

from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from projects.models import Project, Section, TargetSheet
from people import roles


def test_seed_demo_is_idempotent_and_sets_up_every_role(demo):
    counts = (get_user_model().objects.count(), TargetSheet.objects.count(), Section.objects.count())
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert (get_user_model().objects.count(), TargetSheet.objects.count(), Section.objects.count()) == counts
    assert "staff_ggzy" in out.getvalue() and "demo" in out.getvalue()
    for username in ("staff_ggzy", "head_ggzy", "staff_xy", "head_xy", "staff_zwfw", "head_zwfw", "leader", "finance", "admin"):
        assert authenticate(username=username, password="demo") is not None, username


def test_sections_own_the_projects_named_in_the_issue(demo):
    def suffixes(name):
        return sorted(p.code[-4:] for p in Project.objects.filter(section__name=name))

    assert suffixes("公共资源交易中心") == sorted(["041X", "042H", "037P", "0364"])
    assert suffixes("信用与放管服办公室") == ["040A"]
    assert suffixes("政务服务中心") == sorted(["038B", "035G", "034W", "039Y"])
    assert not TargetSheet.objects.filter(section__isnull=True).exists()


def test_finance_reviewer_is_assigned_agency_483001(demo):
    finance = get_user_model().objects.get(username="finance")
    assert roles.scope_ids(finance, roles.FINANCE_REVIEWER) == {Project.objects.first().agency_id}
