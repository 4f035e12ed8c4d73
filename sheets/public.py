"""Published sheets for everyone, without signing in."""

from django.db.models import F
from django.shortcuts import get_object_or_404, render

from core.pagination import keyset_page, page_size
from projects.models import SheetState, TargetSheet
from projects.selectors import fiscal_years, sheets_with_content
from sheets.downloads import sheet_response
from sheets.selectors import SHEET_LIST_ORDER, sheet_filter, with_year_and_agency  # the signed-in list's filters and order
from sheets.views import int_or_none

def _published():
    return sheets_with_content().filter(state=SheetState.PUBLISHED)

# What a public row shows and its keyset order (its project's code and name as values; its year and agency:
# ``with_year_and_agency``)
PUBLIC_FIELDS = ("id", "position", "title", "revision", "state_since", "budget_total", "fiscal_year_id", "agency_id", "project_id")
PUBLIC_VALUES = {"project_code": F("project__code"), "project_name": F("project__name")}


def public_list(request):
    """A province's published sheets a keyset page at a time, with year, agency and text filters; no total."""
    filters = {
        "year": int_or_none(request.GET.get("year")),
        "agency": (request.GET.get("agency") or "").strip()[:20] or None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    sheets = with_year_and_agency(
        sheet_filter(TargetSheet.objects.filter(state=SheetState.PUBLISHED), **filters).only(*PUBLIC_FIELDS).annotate(**PUBLIC_VALUES),
        agency_name=True,
    )
    page = keyset_page(
        sheets, SHEET_LIST_ORDER, cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")),
        params={"year": filters["year"], "agency": filters["agency"], "q": filters["search"]},
    )
    context = {"sheets": page.rows, "page": page, "filters": filters, "years": fiscal_years()}
    return render(request, "sheets/public_list.html", context)

def public_detail(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    return render(request, "sheets/public_detail.html", {"sheet": sheet})

def public_download(request, pk):
    return sheet_response(get_object_or_404(_published(), pk=pk))
