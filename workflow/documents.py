"""What a document supplies to ride the approval engine, and the registry of the documents it moves.

A document is a concrete model inheriting ``projects.approvable.Approvable`` (its approval columns and indexes) that
answers the ``Document`` protocol below. The engine finds every such model of the installed apps (``document_types``)
and iterates them for 待办, 已办 and the history; it names none of them. The history table (``workflow.Event``) has
one nullable foreign key per document, named by the document's ``history_field`` and listed in
``workflow.models.DOCUMENT_FIELDS`` (its check constraint: exactly one set).
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar, Protocol

from django.apps import apps

from projects.approvable import Approvable
from workflow.steps import CHAIN, Chain


class Document(Protocol):
    """The hooks a document supplies (the approval columns come from ``Approvable``)."""

    approval_chain: ClassVar[Chain]  # optional: its chain (``workflow.steps.CHAIN`` when it does not say)
    approval_label: ClassVar[str]  # its name in every text: "绩效目标表"
    approval_measure: ClassVar[str]  # its measure word: "张" (这张绩效目标表)
    approval_this: ClassVar[str]  # how a refusal points at it: "这张表"
    approval_related: ClassVar[tuple[str, ...]]  # what a move reads with it under its lock (texts name them)
    approval_title_related: ClassVar[tuple[str, ...]]  # what its ``display_title`` reads (已办 joins it)
    approval_batch: ClassVar[bool]  # optional: may 待办 approve it in a batch (True when it does not say)
    approval_drafts_order: ClassVar[tuple[str, ...]]  # the order of its drafts in 待办
    history_field: ClassVar[str]  # its foreign key on workflow.Event, Notification and WeComCard: "sheet"
    approval_detail_route: ClassVar[str]  # the URL name of its page, taking its id (a 催办 links to it)
    approval_text_fields: ClassVar[tuple[str, ...]]  # the values a province-wide 催办 reads to name it …
    # … and ``approval_text_title(*values) -> (display title, code)`` makes them its title and code (a static method)
    approval_manager: ClassVar[str]  # optional: the manager the engine reads (``documents_of``), "objects" by default
    approval_search_fields: ClassVar[tuple[str, ...]]  # optional: text fields 待办, 已办 and 通知 search (icontains)

    @property
    def display_title(self) -> str: ...  # its title in lists, messages and cards

    def get_absolute_url(self) -> str: ...  # its page (messages link there, absolutely)

    def approval_facts(self) -> list[tuple[str, str | None]]: ...  # (name, value) a message prints under the title

    def approval_card_facts(self) -> list[tuple[str, str]]: ...  # (name, value) a WeCom approval card shows

    def approval_done_next(self) -> tuple[str, str]: ...  # what to do once the chain is done, and the page (path)

    def approval_errors(self) -> list[str]: ...  # the content check's errors: one blocks a submission

    @classmethod
    def approval_verdicts(cls, documents) -> None: ...  # sets error_count, warning_count on each (待办's cards)

    def snapshot(self) -> dict: ...  # its content as JSON, frozen in the history at each submission

    def approval_revoke_refusal(self) -> str | None: ...  # optional: why its publication may not be taken back


@cache
def document_types() -> tuple[type, ...]:
    """Every installed document model (the concrete subclasses of ``Approvable``), in the apps' order."""
    return tuple(model for model in apps.get_models() if issubclass(model, Approvable))


def documents_of(model):
    """Every row of ``model`` the engine moves and queues: the manager its ``approval_manager`` names (a document whose
    default manager hides rows the engine still moves, e.g. revisions under way, names one that shows them), else its
    default manager. A foreign key to the document (the history's) reads every row anyway."""
    return getattr(model, getattr(model, "approval_manager", "objects")).all()


def chain_of(document) -> Chain:
    """The chain of a document (or a document type)."""
    kind = document if isinstance(document, type) else type(document)
    return getattr(kind, "approval_chain", None) or CHAIN


def field_of(document) -> str:
    """The name of the document's foreign key on the history table (and the notifications, the WeCom cards)."""
    kind = document if isinstance(document, type) else type(document)
    return kind.history_field


def type_of_field(name: str) -> type:
    """The document type whose history foreign key is ``name``."""
    return next(kind for kind in document_types() if kind.history_field == name)


def chain_of_event(event) -> Chain:
    """The chain of an event's document, without reading the document."""
    return chain_of(type_of_field(event.document_field))
