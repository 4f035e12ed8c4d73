"""Forms of the 人员与角色 page. Each names a role on a scope as one choice, ``<role>:<scope pk>``.

The choices *offered* (rendered) are what the signed-in user may do; what is *accepted* is any
well-formed role of this agency, so that a forged request reaches ``people.services``, which
refuses it with the right status (财政审核人 by an agency administrator: 403).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator

from people import roles
from people.roles import Role, display_name


def role_choices(agency, *, superuser: bool) -> list[tuple[str, str]]:
    """Every role of ``agency`` and its sections ``(value, label)``; 财政审核人 only for a superuser."""
    sections = list(agency.sections.all())
    choices = []
    for role in Role.values:
        if role == Role.FINANCE_REVIEWER and not superuser:
            continue
        label = roles.ROLE_LABELS[role]
        if roles.is_section_role(role):
            choices += [(f"{role}:{section.pk}", f"{label}（{section.name}）") for section in sections]
        else:
            choices.append((f"{role}:{agency.pk}", f"{label}（本单位）"))
    return choices


def parse_role(value: str, agency):
    """``"<role>:<pk>"`` → (role, Section or Agency of ``agency``), or a ValidationError."""
    role, _, pk = (value or "").partition(":")
    if role in roles.SCOPE_PERMISSIONS and pk.isdigit():
        if roles.is_section_role(role):
            scope = agency.sections.filter(pk=int(pk)).first()
        else:
            scope = agency if int(pk) == agency.pk else None
        if scope is not None:
            return role, scope
    raise forms.ValidationError("请选择本单位或本单位科室的角色。", code="invalid_role")


class _AgencyForm(forms.Form):
    id_prefix = "id"  # two forms on one page: their ids must not clash

    def __init__(self, *args, agency, user, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        kwargs.setdefault("label_suffix", "")  # labels stand above their fields
        super().__init__(*args, **kwargs)
        self.agency = agency
        self.user = user

    def _offer_roles(self, name: str, *, blank: str | None = None) -> None:
        offered = role_choices(self.agency, superuser=self.user.is_superuser)
        self.fields[name].widget.choices = ([("", blank)] if blank is not None else []) + offered

    def _clean_role(self, name: str):
        value = self.cleaned_data.get(name)
        if not value:
            return None
        return parse_role(value, self.agency)


class PersonCreateForm(_AgencyForm):
    id_prefix = "add"
    username = forms.CharField(label="用户名", max_length=150, validators=[UnicodeUsernameValidator()], help_text="登录用，字母、数字或 @ . + - _")
    last_name = forms.CharField(label="姓", max_length=150)
    first_name = forms.CharField(label="名", max_length=150)
    email = forms.EmailField(label="电子邮箱", required=False)
    password1 = forms.CharField(label="初始密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="再次输入初始密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    role = forms.CharField(label="角色（可选）", required=False, widget=forms.Select)
    note = forms.CharField(label="说明（可选）", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = "".join(password_validation.password_validators_help_texts())
        self._offer_roles("role", blank="暂不授予角色")

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        taken = get_user_model().objects.filter(username__iexact=username).first()
        if taken is not None:
            from people import selectors

            if selectors.may_manage_person(self.user, self.agency, selectors.person_row(self.agency, taken)):
                raise forms.ValidationError(
                    f"用户名“{username}”已被使用：此人（{display_name(taken)}）已在本单位人员列表中，请在“授予角色”中选择此人。",
                    code="duplicate_username",
                )
            raise forms.ValidationError(f"用户名“{username}”已被使用。", code="duplicate_username")
        return username

    def clean_role(self):
        return self._clean_role("role")

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一致。")
        elif first:
            candidate = get_user_model()(
                username=data.get("username", ""), last_name=data.get("last_name", ""),
                first_name=data.get("first_name", ""), email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", [_in_chinese(e) for e in error.error_list])
        return data


def _in_chinese(error: forms.ValidationError) -> forms.ValidationError:
    """Django's zh_Hans catalog misses the minimum-length message of this Django version (its msgid changed)."""
    if error.code == "password_too_short":
        length = (error.params or {}).get("min_length", "")
        return forms.ValidationError(f"密码长度太短。密码必须包含至少 {length} 个字符。", code=error.code)
    return error


class _PersonField(forms.IntegerField):
    """A person by id: offered as a list of names, accepted as any id (the service decides who may be reached)."""

    widget = forms.Select

    def clean(self, value):
        pk = super().clean(value)
        if pk is None and not self.required:
            return None
        user = get_user_model().objects.filter(pk=pk).first() if pk is not None else None
        if user is None:
            raise forms.ValidationError("请选择人员。", code="no_person")
        return user


class RoleGrantForm(_AgencyForm):
    """The person is picked by a search (``people/js/people_picker.js`` asks ``people_candidates`` for at most 20
    matches, never the province's accounts as a list): ``person`` is the chosen id; without JavaScript the username
    typed in ``person_query`` is looked up among the people the user may reach (``grant_candidate_by_username``)."""

    id_prefix = "grant"
    person_query = forms.CharField(
        label="人员", required=False, max_length=200,
        help_text="输入姓名或用户名搜索，从列表中选择",
        widget=forms.TextInput(attrs={
            "type": "search", "autocomplete": "off", "role": "combobox", "aria-autocomplete": "list",
            "aria-expanded": "false", "aria-controls": "grant_person_list", "data-person-picker": "",
            "placeholder": "姓名或用户名",
        }),
    )
    person = _PersonField(required=False, widget=forms.HiddenInput)
    role = forms.CharField(label="角色", widget=forms.Select)
    note = forms.CharField(label="说明（可选）", max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_roles("role", blank="请选择角色")

    def clean_person(self):
        return self.cleaned_data.get("person")  # None: no id chosen (``clean`` reads the typed username)

    def clean_role(self):
        return self._clean_role("role")

    def clean(self):
        data = super().clean()
        if data.get("person") is None and "person" not in self.errors:
            from people import selectors

            typed = (data.get("person_query") or "").strip()
            typed = typed.rsplit("（", 1)[-1].rstrip("）") if typed.endswith("）") else typed  # “姓名（用户名）” as listed
            person = selectors.grant_candidate_by_username(self.user, self.agency, typed)
            if person is None:
                message = f"没有找到可以授予角色的人员“{typed}”，请输入姓名或用户名后从列表中选择。" if typed else "请选择人员。"
                self.add_error("person_query", message)
            data["person"] = person
        return data


class RoleRevokeForm(_AgencyForm):
    """One grant's 撤销 button: the person and the grant are hidden fields."""

    person = _PersonField(widget=forms.HiddenInput)
    role = forms.CharField(widget=forms.HiddenInput)

    def clean_role(self):
        return self._clean_role("role")


def _picker(*, list_id: str, hidden: str, url: str, empty: str, placeholder: str = "姓名或用户名", **extra) -> forms.TextInput:
    """A text input searched as one types (``static/js/people_picker.js``): at most 20 matches from ``url``, the chosen
    person's id written to the form's hidden field ``hidden``."""
    return forms.TextInput(attrs={
        "type": "search", "autocomplete": "off", "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
        "aria-controls": list_id, "data-person-picker": hidden, "data-candidates-url": url, "data-picker-empty": empty,
        "placeholder": placeholder, **extra,
    })


class DelegationForm(forms.Form):
    """设置委托: for whom (oneself, or — a 单位管理员 — a person of their agency, searched), to whom (searched among the
    people the principal may delegate to, never listed: an agency of 1,000), from which day to which day (both
    included), why.

    Each person is picked from a type-ahead (``principal``/``delegate_id``: the chosen id); without JavaScript the
    username typed (or “姓名（用户名）” as listed) is looked up. Either way the server accepts only whom the type-ahead
    could have offered (``selectors.delegation_principal``, ``selectors.delegation_candidate``), else a Chinese
    message on the field: another agency's person is not found (not named), oneself and a stopped account are said so."""

    principal_query = forms.CharField(
        label="委托人", required=False, max_length=200, help_text="本人，或本单位人员：输入姓名或用户名搜索，从列表中选择",
    )
    principal = forms.CharField(required=False, widget=forms.HiddenInput)
    delegate = forms.CharField(label="受托人", max_length=200, required=False, help_text="输入姓名或用户名搜索，从列表中选择")
    delegate_id = forms.CharField(required=False, widget=forms.HiddenInput)
    start = forms.DateField(label="开始日期", error_messages={"required": "请选择开始日期。", "invalid": "开始日期的格式应为 2026-12-07。"},
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期（含当天）", error_messages={"required": "请选择结束日期。", "invalid": "结束日期的格式应为 2026-12-20。"},
                          widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="委托原因", max_length=200, error_messages={"required": "请填写委托原因。"},
                             widget=forms.TextInput(attrs={"placeholder": "如：休假期间由刘洋代为审批"}))

    def __init__(self, *args, user, manages_others: bool, **kwargs):
        from django.urls import reverse

        kwargs.setdefault("initial", {"principal": str(user.pk), "principal_query": f"{display_name(user)}（{user.username}）"})
        super().__init__(*args, label_suffix="：", **kwargs)
        self.user = user
        self.fields["delegate"].widget = _picker(
            list_id="delegate_list", hidden="delegate_id", url=reverse("delegation_candidates"), empty="没有找到可以受托的人员",
            **{"data-picker-with": "principal"},
        )
        if manages_others:
            self.fields["principal_query"].widget = _picker(
                list_id="principal_list", hidden="principal", url=reverse("delegation_principals"),
                empty="没有找到可以为其设置委托的人员",
            )
        else:
            del self.fields["principal_query"]

    def clean(self):
        from people import selectors

        data = super().clean()
        pk, typed = data.get("principal"), (data.get("principal_query") or "").strip()
        principal = selectors.delegation_principal(self.user, pk=pk, typed=typed) if (pk or typed) else self.user
        data["principal"] = principal
        if principal is None:
            where = "principal_query" if "principal_query" in self.fields else None
            named = f"“{typed}”" if typed else ""
            self.add_error(where, f"没有找到可以为其设置委托的人员{named}：只能为自己，或作为单位管理员为本单位人员设置委托。")
            return data
        delegate, problem = selectors.delegation_candidate(principal, pk=data.get("delegate_id"), typed=data.get("delegate", ""))
        if problem:
            self.add_error("delegate", problem)
        data["delegate"] = delegate
        return data
