"""The editor of a sheet with 200 indicator rows: every row on the page, the same queries as a sheet of 8, and its
widgets written by ``core.form_renderer`` exactly as Django's templates write them."""

import pytest
from django import forms
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe

from benchmarks.big_sheet import big_indicators
from core.form_renderer import PlainWidgetRenderer
from projects.services import sheet_content_of, sheet_content_replace


def with_rows(sheet, user, rows: int):
    sheet_content_replace(sheet=sheet, user=user, **(sheet_content_of(sheet) | {"indicators": big_indicators(rows)}))
    return sheet


def editor_page(client, sheet):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/sheets/{sheet.pk}/edit/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_editor_of_200_rows_shows_every_row_with_the_queries_of_8(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    editor_page(client, with_rows(sheet, people.staff_ggzy, 8))  # the first request of a client reads more (session)
    small, small_queries = editor_page(client, sheet)

    large, large_queries = editor_page(client, with_rows(sheet, people.staff_ggzy, 200))

    assert small.count('data-testid="indicator-row"') == 8 + 1  # and the empty row of the <template>
    assert large.count('data-testid="indicator-row"') == 200 + 1
    last = big_indicators(200)[-1]
    assert f">\n{last.name}</textarea>" in large and f'name="rows-199-ORDER" value="200"' in large
    assert large_queries == small_queries


class Everything(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"class": "a b", "data-x": 'say "hi" & <go>', "readonly": True, "hidden": False}))
    area = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    empty_area = forms.CharField(required=False, widget=forms.Textarea)
    hidden = forms.CharField(widget=forms.HiddenInput)
    number = forms.IntegerField()
    flag = forms.BooleanField(required=False)
    unset_flag = forms.BooleanField(required=False)
    choice = forms.ChoiceField(choices=[("1", "一"), ("2", "<二>")])  # not a plain widget: the template engine's


@pytest.mark.parametrize("data", [
    {"text": "<b>\"引号\" & 'x'</b>", "area": "第一行\n<script>alert(1)</script>", "empty_area": "", "hidden": "a&b",
     "number": "12", "flag": "on", "choice": "2"},
    {"text": "", "area": "", "number": "x"},
    None,
])
def test_plain_widgets_are_written_as_djangos_templates_write_them(data):
    initial = {"text": mark_safe("<i>safe</i>"), "area": "初始 & 值", "number": 3, "flag": True}
    fast = Everything(data, initial=initial, renderer=PlainWidgetRenderer())
    plain = Everything(data, initial=initial, renderer=DjangoTemplates())
    fast.is_bound and fast.is_valid()
    plain.is_bound and plain.is_valid()
    for name in Everything.base_fields:
        assert str(fast[name]) == str(plain[name])
        assert fast[name].as_hidden() == plain[name].as_hidden()
