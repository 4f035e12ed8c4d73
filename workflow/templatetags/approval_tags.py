"""What pages of other apps show about the approval (the people page asks which steps nobody can act on, now or after a revoke)."""

from django import template

from people import roles
from workflow.steps import CHAIN

register = template.Library()


@register.simple_tag
def unstaffed_steps(agency) -> list[str]:
    """Review steps of ``agency`` that nobody can act on: no active holder of the step's role on its scope (one
    query for the agency and all its sections, however many sections it has)."""
    sections = list(agency.sections.all())
    wanted: dict[str, set[int]] = {}
    for step in CHAIN.steps:
        scopes = {s.pk for s in sections} if roles.is_section_role(step.role) else {agency.pk}
        wanted.setdefault(step.role, set()).update(scopes)
    held = roles.staffed_scopes(wanted)  # whether anyone holds each, not who (a big agency has a thousand people)
    warnings = []
    for step in CHAIN.steps:
        label = roles.ROLE_LABELS[step.role]
        if roles.is_section_role(step.role):
            for section in sections:
                if (step.role, section.pk) not in held:
                    warnings.append(f"科室“{section.name}”没有{label}：该科室的“{step.label}”无人可以办理。")
        elif (step.role, agency.pk) not in held:
            warnings.append(f"本单位没有{label}：“{step.label}”无人可以办理。")
    return warnings


@register.simple_tag
def revoke_warnings(user, role: str, scope) -> list[str]:
    """What taking ``role`` on ``scope`` away from ``user`` would leave undone: a review step nobody else (active)
    can act on. For the revoke confirmation page."""
    step = next((s for s in CHAIN.steps if s.role == role), None)
    if step is None or roles.users_with_role(role, scope).exclude(pk=user.pk).exists():
        return []
    label = roles.ROLE_LABELS[role]
    if roles.is_section_role(role):
        return [
            f"撤销后，科室“{scope.name}”将没有{label}：该科室提交的绩效目标表在“{step.label}”无人可以办理。"
            f"请先（或随后立即）把“{label}”授予该科室的其他人员。"
        ]
    return [f"撤销后，本单位将没有{label}：“{step.label}”无人可以办理。请先（或随后立即）把“{label}”授予其他人员。"]
