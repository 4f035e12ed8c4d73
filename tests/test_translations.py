"""The project's zh_Hans catalog for django-viewflow (locale/zh_Hans/LC_MESSAGES/django.po).

viewflow 2.4 ships an *empty* zh_Hans catalog, so every viewflow string comes from
our LOCALE_PATHS catalog.  No database is needed.
"""

import ast
import re
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext, ngettext, pgettext

import viewflow

PROJECT_PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PROJECT_MO = PROJECT_PO.with_suffix(".mo")
VIEWFLOW_RU_PO = Path(viewflow.__file__).parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"
DJANGO_DIR = Path(django.__file__).parent
# Django's own zh_Hans catalogs, highest priority first (admin and auth are installed first).
DJANGO_ZH_CATALOGS = [
    DJANGO_DIR / "contrib" / "admin" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    DJANGO_DIR / "contrib" / "auth" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    DJANGO_DIR / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
]

PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sd]|\{[^{}]*\}|%[sd]")


def parse_po(path):
    """Tiny .po parser: {(msgctxt, msgid): entry}, entry holds msgid_plural/msgstr/msgstr[N]/flags."""
    entries, cur, key = {}, {}, None

    def flush():
        nonlocal cur
        if "msgid" in cur:
            entries[(cur.get("msgctxt"), cur["msgid"])] = cur
        cur = {}

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            key = None
        elif line.startswith("#~"):
            continue
        elif line.startswith("#"):
            if any(k.startswith("msgstr") for k in cur):
                flush()
            if line.startswith("#,"):
                cur.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith('"'):
            cur[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            if key in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in cur):
                flush()
            cur[key] = ast.literal_eval(value)
    flush()
    return entries


def translated(entry):
    return entry.get("msgstr") if "msgstr" in entry else entry.get("msgstr[0]")


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """The .mo is not committed: compile it when missing or stale, then drop Django's cached catalogs."""
    if not PROJECT_MO.exists() or PROJECT_MO.stat().st_mtime < PROJECT_PO.stat().st_mtime:
        from django.core.management import call_command

        call_command("compilemessages", locale=["zh_Hans"], ignore_patterns=[".venv", "node_modules"], verbosity=0)
    from django.utils.translation import trans_real

    trans_real._translations.clear()
    trans_real._default = None
    yield


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def test_status_choices_are_chinese(zh):
    from viewflow.workflow.status import PROCESS, STATUS

    assert {m.value: str(m.label) for m in STATUS} == {
        "ASSIGNED": "已分配",
        "CANCELED": "已取消",
        "DONE": "已完成",
        "ERROR": "出错",
        "NEW": "新建",
        "REVIVED": "已恢复",
        "SCHEDULED": "已排期",
        "STARTED": "已开始",
    }
    assert {m.value: str(m.label) for m in PROCESS} == {"CANCELED": "已取消", "DONE": "已完成", "NEW": "新建"}


def test_model_verbose_names_are_chinese(zh):
    from viewflow.workflow.models import Process, Task

    assert str(Process._meta.verbose_name) == "流程"
    assert str(Process._meta.verbose_name_plural) == "流程列表"
    assert str(Task._meta.verbose_name) == "任务"
    assert str(Task._meta.verbose_name_plural) == "任务"
    assert str(Process._meta.get_field("flow_class").verbose_name) == "流程类型"
    assert str(Process._meta.get_field("status").verbose_name) == "状态"
    assert str(Process._meta.get_field("created").verbose_name) == "创建时间"
    assert str(Task._meta.get_field("owner").verbose_name) == "办理人"
    assert str(Task._meta.get_field("status").verbose_name) == "状态"


def test_template_strings_are_chinese(zh):
    rendered = Template(
        "{% load i18n %}"
        "{% trans 'Inbox' %}|{% trans 'Queue' %}|{% trans 'Archive' %}|"
        "{% translate 'Assign' %}|{% translate 'Unassign' %}|{% translate 'Execute' %}|"
        "{% trans 'Start' %}|{% trans 'New process' %}|{% translate 'Parent Task' %}"
    ).render(Context())
    assert rendered == "待办|待认领|已办|认领|取消认领|办理|发起|发起流程|上级任务"


def test_blocktrans_plural_keeps_placeholders(zh):
    # the exact msgid (whitespace included) of viewflow's delete_action.html
    singular = "\n                        Are you sure you want to delete the %(name)s and related items?\n                      "
    plural = (
        "\n                        Are you sure you want to delete the %(objects_count)s %(plural_name)s"
        " and related items?\n                      "
    )
    text = ngettext(singular, plural, 3) % {"name": "流程", "objects_count": 3, "plural_name": "流程"}
    assert text.strip() == "确定要删除这 3 个流程及其相关项目吗？"


def test_view_messages_are_chinese(zh):
    assert gettext("Task {task} has been assigned.").format(task="#1/2") == "任务 #1/2 已认领。"
    assert gettext("Task {task} has been unassigned.").format(task="#1/2") == "任务 #1/2 已取消认领。"
    assert gettext("Process {process} has been started.").format(process="#7") == "流程 #7 已发起。"
    assert gettext("Process #%(pk)s can not be canceled.") % {"pk": 7} == "流程 #7 无法取消。"
    assert pgettext("STATUS", "Done") == "已完成"


def test_every_viewflow_msgid_has_a_translation():
    ours = parse_po(PROJECT_PO)
    ru = {k: v for k, v in parse_po(VIEWFLOW_RU_PO).items() if k[1]}
    assert len(ru) > 100
    missing = sorted(k for k in ru if k not in ours or not translated(ours[k]).strip())
    assert missing == []
    for key, entry in ru.items():
        assert ("msgid_plural" in ours[key]) == ("msgid_plural" in entry), key


def test_catalog_is_complete_and_placeholders_are_kept():
    ours = {k: v for k, v in parse_po(PROJECT_PO).items() if k[1]}
    header = parse_po(PROJECT_PO)[(None, "")]["msgstr"]
    assert "Language: zh_Hans\n" in header
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header
    assert "charset=UTF-8" in header
    for key, entry in ours.items():
        msgstr = translated(entry)
        assert msgstr.strip(), key
        assert "fuzzy" not in entry.get("flags", ()), key
        source = set(PLACEHOLDER.findall(key[1])) | set(PLACEHOLDER.findall(entry.get("msgid_plural", "")))
        target = set(PLACEHOLDER.findall(msgstr))
        if "msgid_plural" in entry:
            assert target <= source, key
        else:
            assert target == source, key


def test_msgids_shared_with_django_keep_djangos_wording():
    django_zh = {}
    for path in reversed(DJANGO_ZH_CATALOGS):  # higher-priority catalogs overwrite
        for (ctx, msgid), entry in parse_po(path).items():
            if msgid and translated(entry):
                django_zh[(ctx, msgid)] = translated(entry)
                if "msgid_plural" in entry:
                    django_zh[(ctx, entry["msgid_plural"])] = translated(entry)
    ours = parse_po(PROJECT_PO)
    shared = {k: translated(v) for k, v in ours.items() if k[1] and k in django_zh}
    assert len(shared) >= 20
    assert {k: v for k, v in shared.items() if v != django_zh[k]} == {}


def test_django_admin_wording_unchanged(zh):
    assert gettext("Save") == "保存"
    assert gettext("Delete") == "删除"
    assert gettext("Home") == "首页"
    assert gettext("Log out") == "注销"
    assert ngettext("Please correct the error below.", "Please correct the errors below.", 2) == "请更正以下错误。"
    assert Template("{% load i18n %}{% translate 'Save' %}").render(Context()) == "保存"
