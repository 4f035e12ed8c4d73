"""A target sheet's scope keys against its project's: the sheet's own part of ``check_workflow``
(``workflow.integrity`` asks every document type through ``approval_scope_divergences`` and
``approval_scope_repair``).

A sheet's ``agency`` and ``section`` are copies of its project's, written together by ``projects.services``, and a
section always belongs to the agency of the project and sheet it holds. A repair goes towards the project and never
towards more access: a section of another agency is never kept nor adopted (its people could open the sheet); the
project goes back to the one section of its own agency its sheets still name, or to none (未分配科室) for a person to
choose in the admin, and its sheets follow the project.
"""

from __future__ import annotations

from django.db.models import F, Q

from projects.models import Project, TargetSheet

SCOPE_CODES = frozenset({"agency", "section", "section_agency"})


def sheet_scope_divergences(sheets) -> list[tuple[int, str, str]]:
    """``(sheet id, code, message)`` for each of ``sheets`` whose scope keys disagree with its project's, or name a
    section of another agency."""
    found = []
    for sheet in sheets.exclude(agency_id=F("project__agency_id")).select_related("project__agency", "agency"):
        found.append((sheet.pk, "agency", f"所属单位“{sheet.agency.name}”与项目的单位“{sheet.project.agency.name}”不一致"))
    section_differs = sheets.filter(
        Q(project__section__isnull=True, section__isnull=False)
        | Q(project__section__isnull=False, section__isnull=True)
        | (Q(project__section__isnull=False) & ~Q(section_id=F("project__section_id")))
    )
    for sheet in section_differs.select_related("project__section", "section"):
        found.append((sheet.pk, "section", f"所属科室“{_name(sheet.section)}”与项目的科室“{_name(sheet.project.section)}”不一致"))
    foreign = sheets.filter(
        (Q(section__isnull=False) & ~Q(section__agency_id=F("agency_id")))
        | (Q(project__section__isnull=False) & ~Q(project__section__agency_id=F("project__agency_id")))
    )
    for sheet in foreign.select_related("agency", "section__agency", "project__agency", "project__section__agency"):
        found.append((sheet.pk, "section_agency", "；".join(_foreign_sections(sheet))))
    return found


def sheet_scope_repair(sheet, codes) -> list[str]:
    """Set ``sheet``'s scope keys to its project's (after putting right a project whose section belongs to another
    agency) and save them; what was done, for the repair's history entry. Runs under the sheet's lock."""
    if not codes & SCOPE_CODES:
        return []
    if "section_agency" in codes:
        _project_section_repair(sheet.project_id)
    sheet.project.refresh_from_db(fields=["agency", "section"])
    unassigned = "section_agency" in codes and sheet.project.section_id is None
    note = "，请在后台为项目指定本单位的科室" if unassigned else ""
    old_section_id = sheet.section_id
    sheet.agency_id = sheet.project.agency_id
    sheet.section_id = sheet.project.section_id
    sheet.save(update_fields=["agency", "section"])
    if sheet.section_id != old_section_id or note:
        return [f"科室改为“{_name(sheet.project.section)}”{note}"]
    return []


def _name(section) -> str:
    return section.name if section is not None else "未分配科室"


def _foreign_sections(sheet) -> list[str]:
    said = []
    if sheet.section is not None and sheet.section.agency_id != sheet.agency_id:
        said.append(f"所属科室“{sheet.section.name}”属于其他单位“{sheet.section.agency.name}”，不属于本表的单位“{sheet.agency.name}”")
    project, section = sheet.project, sheet.project.section
    if section is not None and section.agency_id != project.agency_id and section.pk != sheet.section_id:
        said.append(f"项目的科室“{section.name}”属于其他单位“{section.agency.name}”，不属于项目的单位“{project.agency.name}”")
    return said


def _project_section_repair(project_id: int) -> None:
    """A project whose section belongs to another agency goes back to the one section of its own agency that its
    sheets still name, or to none: a person then chooses it in the admin (which offers only the agency's sections)."""
    project = Project.objects.select_for_update(of=("self",)).select_related("section").get(pk=project_id)
    if project.section is None or project.section.agency_id == project.agency_id:
        return
    named = set(
        TargetSheet.documents.filter(project=project, section__agency_id=project.agency_id).values_list("section_id", flat=True)
    )
    project.section_id = named.pop() if len(named) == 1 else None
    project.save(update_fields=["section"])
