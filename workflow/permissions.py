"""Who may see and do what with a document: one place for every page, download and API endpoint.

Everything step-specific comes from the document's chain (``workflow.steps``); roles and their scopes from
``people.roles``. A document's own rules live in its app (the sheets': ``sheets.permissions``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from people import roles
from people.roles import Role
from workflow import flow
from workflow.documents import chain_of
from workflow.flow import holds
from workflow.models import Action


def _scope_key(role: str) -> str:
    return "section_id" if roles.is_section_role(role) else "agency_id"


def _role_visibility(user, role: str, chain) -> Q:
    """Documents ``user`` sees through ``role``: their scopes, in the states the chain lets the role see."""
    scope = roles.scope_in(user, role, _scope_key(role))
    states = chain.visible_states(role)
    return scope if states is None else scope & Q(state__in=states)


def visible_unfinished_documents(user, queryset: QuerySet) -> QuerySet:
    """The documents of ``queryset`` not (yet) done (published) that ``user`` may read: ``visible_documents`` without
    the done ones everyone reads, as one condition on the role scopes (a person without a role gets none)."""
    if not user.is_authenticated:
        return queryset.none()
    chain = chain_of(queryset.model)
    queryset = queryset.exclude(state=chain.done)
    if user.is_superuser:
        return queryset
    visible = Q(pk__in=[])
    for role in chain.roles:
        visible |= _role_visibility(user, role, chain)
    return queryset.filter(visible)


def visible_documents(user, queryset: QuerySet, *, state: str | None = None) -> QuerySet:
    """Documents of ``queryset`` ``user`` may read, filtered on the indexed section/agency keys.

    ``state``: only documents in that state (a list's filter). The roles that never see that state then drop out of
    the condition, so the planner reads the index that holds the state's rows instead of walking the whole list
    order past rows of other states (a section head's "草稿" when the section has none: every sheet of the province).
    """
    if not user.is_authenticated:
        return queryset.none()
    chain = chain_of(queryset.model)
    state = state or None
    if state is not None:
        queryset = queryset.filter(state=state)
    if user.is_superuser or state == chain.done:
        return queryset
    visible = Q(state=chain.done) if state is None else Q(pk__in=[])
    for role in chain.roles:
        if state is None:
            visible |= _role_visibility(user, role, chain)
        elif chain.visible_states(role) is None or state in chain.visible_states(role):
            visible |= roles.scope_in(user, role, _scope_key(role))
    return queryset.filter(visible)


def visible_document_or_404(user, pk, queryset: QuerySet):
    """The document if ``user`` may see it; 404 otherwise, so a foreign document's existence is not revealed."""
    document = get_object_or_404(queryset, pk=pk)
    if not can_view(user, document):
        model = queryset.model
        raise Http404(f"没有找到这{model.approval_measure}{model.approval_label}。")
    return document


def can_view(user, document) -> bool:
    if not user.is_authenticated:
        return False
    chain = chain_of(document)
    if user.is_superuser or document.state == chain.done:
        return True
    for role in chain.roles:
        states = chain.visible_states(role)
        if (states is None or document.state in states) and holds(user, role, document):
            return True
    if document.consultant_id == user.pk:  # 加签: the person asked reads what they are asked about
        return True
    return is_copied(user, document)


def is_copied(user, document) -> bool:
    """Was the document copied to ``user`` (抄送)? They may read it, nothing more."""
    return user.is_authenticated and document.events.filter(action=Action.CC, target_user=user).exists()


def can_edit(user, document) -> bool:
    chain = chain_of(document)
    return document.state in chain.drafting and holds(user, chain.author, document)


def can_review(user, document) -> bool:
    """May ``user`` approve or return the document at its current step (or reassign that step)?"""
    return user.is_authenticated and flow.flow_of(document).may_review(user)
