"""One plain 3-step viewflow approval: 科室审核 → 局领导审批 → 财政审核, each a View task guarded by a guardian
object permission on the sheet's section or agency (assign, then execute through viewflow's own views)."""

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView


def _section(process):
    return process.artifact.section


def _agency(process):
    return process.artifact.agency


class ApprovalFlow(flow.Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.section_review)
    section_review = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission("anchor.head_section", obj=_section)
        .Next(this.leader_review)
    )
    leader_review = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission("anchor.lead_agency", obj=_agency)
        .Next(this.finance_review)
    )
    finance_review = (
        flow.View(UpdateProcessView.as_view(fields=[]))
        .Permission("anchor.review_agency", obj=_agency)
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation, sheet):
        activation.process.artifact = sheet
        return activation.process
