"""What pages of other apps show about the approval (the people page asks which steps nobody can act on)."""

from django import template

from people import roles
from workflow import approval

register = template.Library()


@register.simple_tag
def unstaffed_steps(agency) -> list[str]:
    """Review steps of ``agency`` that nobody can act on: no active holder of the step's role on its scope."""
    warnings = []
    for step in approval.REVIEW_STEPS:
        label = roles.ROLE_LABELS[step.role]
        if roles.is_section_role(step.role):
            for section in agency.sections.all():
                if not roles.users_with_role(step.role, section).exists():
                    warnings.append(f"科室“{section.name}”没有{label}：该科室的“{step.label}”无人可以办理。")
        elif not roles.users_with_role(step.role, agency).exists():
            warnings.append(f"本单位没有{label}：“{step.label}”无人可以办理。")
    return warnings
