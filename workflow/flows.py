"""The approval of a target sheet as one viewflow process.

    submit → section_review → leader_review → finance_review → end (published)
                  ↘ return/withdraw    ↘ return          ↘ return
                              revise (staff) → section_review …

Every step names the permission and the scope object it is granted on
(a Section or an Agency, see ``workflow.roles``). The moves themselves are
made by ``workflow.services``, which check the same rules and record history.
"""

from django.shortcuts import redirect
from viewflow import this
from viewflow.workflow import flow, lock

from workflow.models import SheetProcess


def _section(process):
    return process.coerced.section


def _agency(process):
    return process.coerced.agency


def task_page(request, *args, **kwargs):
    """viewflow's own task pages are not mounted: a task is done on its sheet's review page."""
    return redirect("sheet_detail", pk=request.activation.process.coerced.sheet_id)


class TargetSheetFlow(flow.Flow):
    process_class = SheetProcess
    lock_impl = lock.select_for_update_lock
    process_title = "绩效目标审批"
    process_description = "项目支出绩效目标表：科室审核、局领导审批、财政审核，通过后公开。"

    start = flow.StartHandle(this.start_process).Next(this.section_review)

    section_review = (
        flow.View(task_page)
        .Annotation(title="科室审核")
        .Permission("projects.head_section", obj=_section)
        .Next(this.after_section_review)
    )
    after_section_review = flow.If(this.approved).Then(this.leader_review).Else(this.revise)

    leader_review = (
        flow.View(task_page)
        .Annotation(title="局领导审批")
        .Permission("projects.lead_agency", obj=_agency)
        .Next(this.after_leader_review)
    )
    after_leader_review = flow.If(this.approved).Then(this.finance_review).Else(this.revise)

    finance_review = (
        flow.View(task_page)
        .Annotation(title="财政审核")
        .Permission("projects.review_agency", obj=_agency)
        .Next(this.after_finance_review)
    )
    after_finance_review = flow.If(this.approved).Then(this.end).Else(this.revise)

    revise = (
        flow.View(task_page)
        .Annotation(title="修改后重新提交")
        .Permission("projects.draft_section", obj=_section)
        .Next(this.section_review)
    )

    end = flow.End()

    def start_process(self, activation, sheet):
        process = activation.process
        process.sheet = sheet
        process.section = sheet.section
        process.agency = sheet.agency
        return process

    def approved(self, activation):
        return activation.process.coerced.decision == "approve"

