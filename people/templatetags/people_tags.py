from django import template

from people.roles import display_name

register = template.Library()


@register.filter
def person(user) -> str:
    """A person's 姓名 in Chinese order (family name first), never a bare username when a name is known."""
    return display_name(user)
