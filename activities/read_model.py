"""Read-model writers, run as local activities of the scenario workflow, which calls them by
name (workflows/activity_names.py), and by the department activities for the items they
perform (`write_items`: an item done is written by the activity that did it, in its own
transaction, instead of by a local activity of the workflow).

After a transition is committed, an item or case that just ended gets its business span
(observability/telemetry.py) with its real start and end. Only a newly applied transition
emits one: a retried write finds its event already logged and emits nothing.
"""

from collections.abc import Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio import activity

from catalog.calendar import WorkCalendar
from catalog.loader import Catalog
from domain.records import CaseRecord, ItemRecord
from domain.statuses import CaseStatus
from observability import telemetry
from store import case_writes as cases
from store.db import session_scope
from store.models import Case, CaseEvent, CaseItem
from workflows.activity_names import RECORD_CASE, RECORD_ITEM, RECORD_ITEMS


class ReadModelActivities:
    """Writes workflow transitions to the database that the API and dashboards read."""

    def __init__(self, engine: Engine, calendar: WorkCalendar, catalog: Catalog):
        self._engine = engine
        self._calendar = calendar
        self._catalog = catalog

    @activity.defn(name=RECORD_ITEM)
    def record_item(self, record: ItemRecord) -> None:
        """One transition (the workflows started before `record_items` existed)."""
        self.record_items([record])

    @activity.defn(name=RECORD_ITEMS)
    def record_items(self, records: list[ItemRecord]) -> None:
        """Transitions in the order they happened, in one transaction."""
        self.write_items(records)

    def write_items(self, records: Sequence[ItemRecord]) -> None:
        """Transitions in the order they happened, in one transaction, then the business span
        of each item they ended. The local activities above call it, and so does a
        department activity for the item it performed (activities/department.py)."""
        with Session(self._engine) as session:
            written = [cases.record_item(session, record, self._catalog) for record in records]
            session.commit()
            for write, record in zip(written, records, strict=True):
                if write is not None and record.event in cases.ITEM_ENDS:
                    self._item_span(session, write)

    @activity.defn(name=RECORD_CASE)
    def record_case(self, record: CaseRecord) -> None:
        with session_scope(self._engine) as session:
            applied = cases.record_case(session, record, self._calendar, self._catalog) is not None
        if applied and record.status is not CaseStatus.running:
            self._case_span(record.case_id)

    def _item_span(self, session: Session, written: cases.ItemWrite) -> None:
        item = written.item
        events: Sequence[CaseEvent] = [written.event]
        if item.opened_at is not None:  # a reviewed item: its task's events too
            events = session.exec(
                select(CaseEvent)
                .where(CaseEvent.case_id == item.case_id, CaseEvent.item == item.item)
                .order_by(CaseEvent.at, CaseEvent.id)  # type: ignore[arg-type]
            ).all()
        known = self._catalog.items.get(item.item)
        telemetry.emit_item_span(written.case, item, known.promised_days if known else None, events)

    def _case_span(self, case_id: str) -> None:
        with Session(self._engine) as session:
            case = session.get(Case, case_id)
            assert case is not None
            items = session.exec(select(CaseItem).where(CaseItem.case_id == case_id)).all()
            telemetry.emit_case_span(case, items)
