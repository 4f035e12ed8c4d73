from django import template

register = template.Library()


@register.filter
def clip(text, length: int) -> str:
    """``truncatechars`` for the library's lists: at most ``length`` characters, the last one "…" when cut.

    The same result on plain text, without ``Truncator``'s per-character walk (1,100 calls on a 300-entry page
    cost most of its rendering)."""
    text = "" if text is None else str(text)
    length = int(length)
    return text if len(text) <= length else text[: max(length - 1, 0)] + "…"


RECOMMENDED = '<span class="tag tag-rec">推荐</span> '


@register.simple_tag
def library_entries(entries):
    """The ``<li>`` of each entry on /library/ (written here, not by a template loop: a page lists up to 300 entries
    and their uses, where the template's lookups cost most of the request). The same markup as the loop wrote; every
    text escaped as Django escapes it (``html.escape``, quotes included)."""
    from html import escape

    from django.utils.safestring import mark_safe

    from core.html import id_url
    from library.models import Kind

    kinds = dict(Kind.choices)
    entry_url = id_url("library_entry")  # one ``reverse`` a page
    items = []
    for e in entries:
        retired = ""
        if e.retired:
            target = getattr(e, "merge_target", None)
            merged = f"，已合并到“{escape(target.name)}”" if target else ""
            retired = f'<span class="tag tag-off">已停用{merged}</span> '
        facts = f"已公开的表使用 {e.use_count} 次"
        if e.example_value:
            facts += f" · 参考值 {escape(e.example_value)}"
        if e.value_unit:
            facts += f" · 单位 {escape(e.value_unit)}"
        description = f'<div class="entry-desc">{escape(clip(e.description, 120))}</div>' if e.description else ""
        uses = getattr(e, "visible_usages", None)
        used = ""
        if uses:
            shown = "；".join(
                f"{u.year} {escape(clip(u.project_name, 16))} <b>{escape(u.target_value or '—')}</b>" for u in uses
            )
            used = f'<div class="muted entry-uses">用过的值：{shown}</div>'
        items.append(
            f'<li class="library-entry{" retired" if e.retired else ""}" data-testid="library-entry"><div class="entry-head">'
            f'<a href="{escape(entry_url(e.pk))}"><strong>{escape(e.name)}</strong></a> '
            f'{RECOMMENDED if e.recommended else ""}'
            f'<span class="tag {"tag-common" if e.kind == Kind.COMMON else ""}">{escape(str(kinds.get(e.kind, e.kind)))}</span> '
            f'{retired}<span class="muted">{facts}</span></div>{description}{used}</li>'
        )
    return mark_safe("".join(items))
