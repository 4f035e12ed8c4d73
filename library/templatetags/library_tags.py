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


@register.simple_tag
def library_entries(entries):
    """The ``<li>`` of each entry on /library/ (written here, not by a template loop: a page lists up to 300 entries
    and their uses, where the template's lookups cost most of the request). The same markup as before."""
    from django.urls import reverse
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe

    from library.models import Kind

    items = []
    for e in entries:
        retired = ""
        if e.retired:
            merged = format_html("，已合并到“{}”", e.merge_target.name) if getattr(e, "merge_target", None) else ""
            retired = format_html('<span class="tag tag-off">已停用{}</span> ', merged)
        facts = format_html(
            "已公开的表使用 {} 次{}{}", e.use_count,
            format_html(" · 参考值 {}", e.example_value) if e.example_value else "",
            format_html(" · 单位 {}", e.value_unit) if e.value_unit else "",
        )
        description = format_html('<div class="entry-desc">{}</div>', clip(e.description, 120)) if e.description else ""
        uses = getattr(e, "visible_usages", None)
        used = format_html(
            '<div class="muted entry-uses">用过的值：{}</div>',
            mark_safe("；".join(
                format_html("{} {} <b>{}</b>", u.year, clip(u.sheet.project.name, 16), u.target_value or "—") for u in uses
            )),
        ) if uses else ""
        items.append(format_html(
            '<li class="library-entry{}" data-testid="library-entry"><div class="entry-head"><a href="{}"><strong>{}</strong></a> '
            '{}<span class="tag {}">{}</span> {}<span class="muted">{}</span></div>{}{}</li>',
            " retired" if e.retired else "", reverse("library_entry", args=[e.pk]), e.name,
            mark_safe('<span class="tag tag-rec">推荐</span> ') if e.recommended else "",
            "tag-common" if e.kind == Kind.COMMON else "", e.get_kind_display(), retired, facts, description, used,
        ))
    return mark_safe("".join(items))
