"""The plan-against-actual card other apps' pages show for a published sheet (the sheet page in workflow)."""

from django import template

from spending import services

register = template.Library()


@register.inclusion_tag("spending/_sheet_card.html", takes_context=True)
def sheet_spending_card(context, sheet):
    """Nothing unless the sheet is published and the signed-in person may read its spending."""
    user = context["request"].user
    if not (sheet.is_published and services.can_view(user, sheet)):
        return {"chart": None}
    points = services.sheet_spending(sheet=sheet)
    return {"sheet": sheet, "spend_points": points, "chart": services.chart(points)}
