"""人员与角色: an agency's administrators (and superusers) see who holds what and change it.

Thin views over ``people.services`` (which check the actor's authority again) and ``people.selectors``.
An agency the user may not manage is answered 404 so its existence is not revealed; a refusal
of a forged request (403/404) is shown on the error page by ``core.handlers.AppErrorMiddleware``;
anything else the service refuses comes back as a message on the page.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import AppError
from core.pagination import page_size
from people import forms, roles, selectors, services
from people.roles import Role, display_name
from projects.models import Agency, Section

LOG_PAGE_SIZE = 50


def _managed_agency_or_404(user, code) -> Agency:
    agency = Agency.objects.prefetch_related("sections").filter(code=code).first()  # its sections read once a request
    if agency is None or not roles.can_manage_people(user, agency):
        raise Http404("没有找到该单位。")
    return agency


def _refused(request, error: AppError) -> None:
    """A refusal the user can correct (400/409) becomes a message; 403/404 go on to the error page."""
    if error.status in (403, 404):
        raise error
    messages.error(request, error.message)


@login_required
def people_index(request):
    agencies = list(selectors.managed_agencies(request.user))
    if not agencies:
        raise Http404("没有可以管理的单位。")
    if len(agencies) == 1:
        return redirect("people_agency", code=agencies[0].code)
    return render(request, "people/index.html", {"agencies": agencies, "nav": "people"})


def _page(request, agency, *, create_form=None, grant_form=None):
    """The agency's people a keyset page at a time (searched by 姓名/用户名, filtered by 科室), with the forms."""
    user = request.user
    sections = list(agency.sections.all())
    section = next((s for s in sections if str(s.pk) == request.GET.get("section", "")), None)
    search = (request.GET.get("q") or "").strip()[:100]
    page = selectors.agency_people_page(
        agency, search=search, section=section, cursor=request.GET.get("cursor"), size=page_size(request.GET.get("size")),
        params={"q": search, "section": section.pk if section else None},
    )
    for row in page.rows:
        row.manageable = selectors.may_manage_person(user, agency, row)
        row.switchable = selectors.may_switch_account(user, agency, row)
        for grant in row.grants:
            grant.revocable = (
                row.manageable
                and (user.is_superuser or grant.role != Role.FINANCE_REVIEWER)
                and not (grant.role == Role.AGENCY_ADMIN and row.user.pk == user.pk)
            )
    # the person is searched (people_candidates), never listed: a superuser may reach the province's accounts
    grant_form = grant_form or forms.RoleGrantForm(agency=agency, user=user)
    context = {
        "agency": agency,
        "people": page.rows,
        "page": page,
        "sections": sections,
        "filters": {"q": search, "section": section},
        "create_form": create_form or forms.PersonCreateForm(agency=agency, user=user),
        "grant_form": grant_form,
        "nav": "people",
    }
    return render(request, "people/agency.html", context)


@login_required
def people_agency(request, code):
    agency = _managed_agency_or_404(request.user, code)
    return _page(request, agency)


@login_required
@require_GET
def people_candidates(request, code):
    """``?q=王`` → at most 20 people the signed-in administrator may give a role of this agency to (the 授予角色
    type-ahead): ``{"results": [{"id", "label", "username"}]}``; an agency they may not manage is 404."""
    agency = _managed_agency_or_404(request.user, code)
    found = selectors.grant_candidates(request.user, agency, request.GET.get("q", ""))
    results = [
        {"id": person.pk, "username": person.username,
         "label": f"{display_name(person)}（{person.username}）{'' if person.is_active else '，已停用'}"}
        for person in found
    ]
    return JsonResponse({"results": results})


@login_required
@require_POST
def person_add(request, code):
    agency = _managed_agency_or_404(request.user, code)
    form = forms.PersonCreateForm(request.POST, agency=agency, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        role, scope = data["role"] or (None, None)
        try:
            person = services.managed_person_create(
                by=request.user, agency=agency, username=data["username"], last_name=data["last_name"],
                first_name=data["first_name"], email=data["email"], password=data["password1"],
                role=role, scope=scope, note=data["note"],
            )
        except AppError as error:
            if error.status in (403, 404):
                raise
            form.add_error(None, error.message)
        else:
            granted = f"，并授予“{roles.ROLE_LABELS[role]}”（{_scope_name(scope)}）" if role else "，尚未授予角色"
            messages.success(request, f"已新增人员{display_name(person)}（{person.username}）{granted}。")
            return redirect("people_agency", code=agency.code)
    messages.error(request, "未能新增人员，请按“新增人员”表单中的提示修改。")
    return _page(request, agency, create_form=form)


@login_required
@require_POST
def role_grant(request, code):
    agency = _managed_agency_or_404(request.user, code)
    form = forms.RoleGrantForm(request.POST, agency=agency, user=request.user)
    if form.is_valid():
        person, (role, scope) = form.cleaned_data["person"], form.cleaned_data["role"]
        try:
            new = services.managed_role_grant(
                by=request.user, agency=agency, user=person, role=role, scope=scope, note=form.cleaned_data["note"],
            )
        except AppError as error:
            if error.status in (403, 404):
                raise
            form.add_error(None, error.message)
        else:
            what = f"{display_name(person)}“{roles.ROLE_LABELS[role]}”（{_scope_name(scope)}）"
            messages.success(request, f"已授予{what}。" if new else f"{what}的角色已经存在，未做修改。")
            return redirect("people_agency", code=agency.code)
    messages.error(request, "未能授予角色，请按“授予角色”表单中的提示修改。")
    return _page(request, agency, grant_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def role_revoke(request, code):
    """GET: the confirmation page (what the revoke hands back, which review step it leaves without anyone);
    POST: the revoke."""
    agency = _managed_agency_or_404(request.user, code)
    form = forms.RoleRevokeForm(request.POST if request.method == "POST" else request.GET, agency=agency, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("people_agency", code=agency.code)
    person, (role, scope) = form.cleaned_data["person"], form.cleaned_data["role"]
    if request.method == "GET":
        return _revoke_confirmation(request, agency, person, role, scope)
    try:
        handed_back = services.managed_role_revoke(by=request.user, agency=agency, user=person, role=role, scope=scope)
    except AppError as error:
        _refused(request, error)
    else:
        label = roles.ROLE_LABELS[role]
        messages.success(
            request, f"已撤销{display_name(person)}的“{label}”角色（{_scope_name(scope)}）。{_handed_back(handed_back, label)}",
        )
    return redirect("people_agency", code=agency.code)


def _revoke_confirmation(request, agency, person, role, scope):
    try:
        services.managed_role_revoke_check(by=request.user, agency=agency, user=person, role=role, scope=scope)
    except AppError as error:
        _refused(request, error)
        return redirect("people_agency", code=agency.code)
    row = selectors.person_row(agency, person)
    context = {
        "agency": agency, "person": person, "role": role, "role_label": roles.ROLE_LABELS[role], "scope_name": _scope_name(scope),
        "value": f"{role}:{scope.pk}", "scope": scope,
        "last_role": row is not None and len(row.grants) == 1, "nav": "people",
    }
    return render(request, "people/revoke_confirm.html", context)


def _person_or_404(pk):
    return get_object_or_404(get_user_model(), pk=pk)


@login_required
@require_POST
def person_deactivate(request, code, pk):
    agency = _managed_agency_or_404(request.user, code)
    person = _person_or_404(pk)
    try:
        handed_back = services.managed_person_deactivate(by=request.user, agency=agency, user=person)
    except AppError as error:
        _refused(request, error)
    else:
        messages.success(request, f"已停用{display_name(person)}的账号，此人不能再登录。{_handed_back(handed_back, '持有人')}")
    return redirect("people_agency", code=agency.code)


@login_required
@require_POST
def person_activate(request, code, pk):
    agency = _managed_agency_or_404(request.user, code)
    person = _person_or_404(pk)
    try:
        services.managed_person_activate(by=request.user, agency=agency, user=person)
    except AppError as error:
        _refused(request, error)
    else:
        messages.success(request, f"已启用{display_name(person)}的账号，此人可以重新登录。")
    return redirect("people_agency", code=agency.code)


@login_required
def people_log(request, code):
    agency = _managed_agency_or_404(request.user, code)
    page = Paginator(selectors.agency_log(agency), LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/log.html", {"agency": agency, "page": page, "nav": "people"})


def _scope_name(scope) -> str:
    return scope.name if isinstance(scope, Section) else "本单位"


def _handed_back(count: int, holders: str) -> str:
    if not count:
        return "没有转办给此人的待办需要退回。"
    return f"{count} 项转办给此人的待办已退回给其他{holders}办理。"


# ---------------------------------------------------------------- 委托 (delegations)


def _delegation_page(request, form=None, status=200):
    user = request.user
    manages_others = bool(selectors.delegation_managers_agencies(user))
    form = form or forms.DelegationForm(user=user, manages_others=manages_others)
    rows = list(selectors.delegations_visible(user)[: selectors.DELEGATION_PAGE])
    now = timezone.now()
    for row in rows:
        row.status = "已取消" if row.cancelled else "已结束" if row.end <= now else "生效中" if row.start <= now else "未开始"
        row.cancellable = row.cancelled is None and row.end > now and (
            selectors.may_manage_delegation_of(user, row.principal) or row.created_by_id == user.pk
        )
        row.last_day = timezone.localtime(row.end - datetime.timedelta(microseconds=1))
    context = {"form": form, "rows": rows, "nav": "delegations", "many_principals": manages_others}
    return render(request, "people/delegations.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def delegations(request):
    """委托: the delegations one may read, and a form to set one (for oneself, or a person of one's agency)."""
    if request.method == "GET":
        return _delegation_page(request)
    manages_others = bool(selectors.delegation_managers_agencies(request.user))
    form = forms.DelegationForm(request.POST, user=request.user, manages_others=manages_others)
    if form.is_valid():
        data = form.cleaned_data
        start = timezone.make_aware(datetime.datetime.combine(data["start"], datetime.time()))
        end = timezone.make_aware(datetime.datetime.combine(data["end"] + datetime.timedelta(days=1), datetime.time()))
        try:
            delegation = services.delegation_set(
                by=request.user, principal=data["principal"], delegate=data["delegate"], start=start, end=end, reason=data["reason"],
            )
        except AppError as error:
            if error.status in (403, 404):
                raise
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                f"已设置委托：{display_name(delegation.delegate)} 代 {display_name(delegation.principal)}，"
                f"{data['start']:%Y-%m-%d} 至 {data['end']:%Y-%m-%d}，到期自动结束。",
            )
            return redirect("delegations")
    return _delegation_page(request, form, status=400)


def _people_json(found) -> JsonResponse:
    return JsonResponse({"results": [
        {"id": person.pk, "username": person.username, "label": f"{display_name(person)}（{person.username}）"} for person in found
    ]})


@login_required
@require_GET
def delegation_candidates(request):
    """``?principal=<id>&q=刘`` → at most 20 people that principal may delegate to (the 受托人 type-ahead; the principal
    is oneself when not given): ``{"results": [{"id", "label", "username"}]}``. A principal the signed-in user may not
    set delegations for is 404."""
    pk = request.GET.get("principal") or None
    principal = selectors.delegation_principal(request.user, pk=pk) if pk else request.user
    if principal is None:
        raise Http404("没有找到该委托人。")
    return _people_json(selectors.delegation_candidates(principal, request.GET.get("q", "")))


@login_required
@require_GET
def delegation_principals(request):
    """``?q=王`` → oneself and at most 20 people the signed-in 单位管理员 may set a delegation for (the 委托人 type-ahead)."""
    return _people_json(selectors.delegation_principals(request.user, request.GET.get("q", "")))


@login_required
@require_POST
def delegation_cancel(request, pk):
    delegation = services.delegation_cancel(by=request.user, delegation_id=pk)
    messages.success(request, f"已取消委托：{display_name(delegation.delegate)} 代 {display_name(delegation.principal)}。")
    return redirect("delegations")
