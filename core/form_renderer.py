"""A form renderer that writes Django's plain widgets (``<input>`` and ``<textarea>``) in Python.

Django renders every widget through its template engine: ``{{ form.name }}`` costs a template render and two
includes. A page of 200 indicator rows has 1,600 widgets, and that was 80% of the editor's time. This renderer gives
the same HTML as Django's templates (``django/forms/widgets/input.html``, ``textarea.html`` and ``attrs.html``: the same
escaping and attribute rules) for those widgets and hands every other template to the template engine.
"""

from __future__ import annotations

from html import escape

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeData, mark_safe

from core.html import escaped

# the widget templates that are exactly ``input.html`` (each includes it and nothing else)
_INPUT = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "hidden", "number", "checkbox", "email", "url", "password", "date", "datetime", "time")
)
_TEXTAREA = "django/forms/widgets/textarea.html"


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}`` under autoescape: safe text stays as it is, the rest is escaped (Django's
    ``escape`` is the standard library's, called here without its lazy-text wrapper)."""
    text = "%s" % value
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict) -> str:
    """``attrs.html``: ``name="value"``, a bare ``name`` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {escaped(name)}" if value is True else f' {escaped(name)}="{_formatted(value)}"')
    return "".join(out)


class PlainWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is None or widget.get("template_name") != template_name:
            return super().render(template_name, context, request=request)
        if template_name == _TEXTAREA:
            value = widget["value"]
            text = escaped(value) if value else ""
            return mark_safe(f'<textarea name="{escaped(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'.strip())
        if template_name in _INPUT:
            value = widget["value"]
            shown = "" if value is None else f' value="{_formatted(value)}"'
            return mark_safe(
                f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
            )
        return super().render(template_name, context, request=request)
