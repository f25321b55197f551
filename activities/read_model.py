"""Read-model writers, run as local activities of the scenario workflow."""

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.models import CaseRecord, ItemRecord
from catalog.calendar import WorkCalendar
from catalog.loader import Catalog
from store import cases
from store.db import session_scope


class ReadModelActivities:
    """Writes workflow transitions to the database that the API and dashboards read."""

    def __init__(self, engine: Engine, calendar: WorkCalendar, catalog: Catalog):
        self._engine = engine
        self._calendar = calendar
        self._catalog = catalog

    @activity.defn
    def record_item(self, record: ItemRecord) -> None:
        with session_scope(self._engine) as session:
            cases.record_item(session, record, self._catalog)

    @activity.defn
    def record_case(self, record: CaseRecord) -> None:
        with session_scope(self._engine) as session:
            cases.record_case(session, record, self._calendar, self._catalog)
