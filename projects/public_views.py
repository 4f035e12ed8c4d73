"""Published sheets for everyone, without signing in."""

from django.shortcuts import get_object_or_404, render

from core.pagination import keyset_page, page_size
from projects import downloads
from projects.models import FiscalYear, SheetState, TargetSheet
from projects.selectors import sheets_with_content

# newest year first, then each agency's package order: the sheet's own columns (index sheet_list_order)
PUBLIC_ORDER = ("-fiscal_year_id", "agency_id", "position", "id")


def _published():
    return sheets_with_content().filter(state=SheetState.PUBLISHED)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def public_list(request):
    """A province's published sheets a keyset page at a time, with year, agency and text filters; no total."""
    from workflow.selectors import sheet_filter  # the same filters as the signed-in list

    filters = {
        "year": _int_or_none(request.GET.get("year")),
        "agency": (request.GET.get("agency") or "").strip()[:20] or None,
        "search": (request.GET.get("q") or "").strip()[:100] or None,
    }
    sheets = sheet_filter(TargetSheet.objects.filter(state=SheetState.PUBLISHED), **filters).select_related(
        "project", "agency", "fiscal_year"
    )
    page = keyset_page(
        sheets, PUBLIC_ORDER, cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")),
        params={"year": filters["year"], "agency": filters["agency"], "q": filters["search"]},
    )
    context = {"sheets": page.rows, "page": page, "filters": filters, "years": FiscalYear.objects.values_list("year", flat=True)}
    return render(request, "projects/public_list.html", context)


def public_detail(request, pk):
    sheet = get_object_or_404(_published(), pk=pk)
    return render(request, "projects/public_detail.html", {"sheet": sheet})


def public_download(request, pk):
    return downloads.sheet_download(get_object_or_404(_published(), pk=pk))
