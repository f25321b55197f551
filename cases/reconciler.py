"""The reconciler: every case stored as submitted gets its workflow started, within seconds.

A submission commits its case before it starts the workflow (cases/submission.py). When the
start does not happen (Temporal not answering within the deadline: the applicant got 202; the
API killed between the two), the row stays `submitted` with no workflow. The API runs this
loop in the background (api.py lifespan): every RECONCILE_SECONDS it starts the workflow of
each case stored as submitted for longer than that.

Starting is idempotent (the workflow id is derived from the case id; REJECT_DUPLICATE with
USE_EXISTING), so a case started meanwhile, by its own request or by the reconciler of
another API process, is left as it is: several API processes may reconcile at once. A case
stays `submitted` in the read model until its worker records it running, so a start Temporal
accepted is remembered (`_started`) and not repeated by this process.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.client import Client

from cases.submission import Documents, form_documents, start_workflow, workflow_input_of
from catalog.loader import Catalog
from domain.queues import DEFAULT_QUEUES, TaskQueues
from domain.statuses import CaseStatus
from runtime.temporal import TemporalUnavailable
from store.models import Case

log = logging.getLogger("onego.reconciler")
BATCH = 200  # starts per pass at most (oldest first); the next pass takes the rest


class Reconciler:
    """Starts the workflows of stored, unstarted cases: `run_once` (one pass), `run` (a loop)."""

    def __init__(
        self,
        engine: Engine,
        client: Client,
        catalog: Catalog,
        queues: TaskQueues = DEFAULT_QUEUES,
        period_s: float = 5.0,
    ):
        self.engine = engine
        self.client = client
        self.catalog = catalog
        self.queues = queues
        self.period_s = period_s
        self._started: set[str] = set()  # cases whose start Temporal accepted

    async def run(self) -> None:
        """Pass after pass, `period_s` apart, until cancelled; a failed pass is logged."""
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reconciler pass failed; the next one retries")
            await asyncio.sleep(self.period_s)

    async def run_once(self, older_than_s: float | None = None) -> int:
        """One pass: start the workflow of every case stored as submitted for more than
        `older_than_s` seconds (default: the period); returns how many starts Temporal
        accepted. Stops at the first start Temporal does not answer (the next pass retries)."""
        age = self.period_s if older_than_s is None else older_than_s
        cutoff = datetime.now(UTC) - timedelta(seconds=age)
        pending = await asyncio.to_thread(self._pending, cutoff)
        started = 0
        for case in pending:
            try:
                documents = await asyncio.to_thread(self._documents, case.id)
                await start_workflow(
                    self.client, workflow_input_of(self.catalog, case, documents), self.queues
                )
            except TemporalUnavailable as err:
                log.warning(
                    "reconciler: Temporal is not answering (%s); %d cases wait", err, len(pending)
                )
                break
            except Exception:  # this case alone (its catalog version gone, ...): the others go on
                log.exception("reconciler: the workflow of case %s could not start", case.id)
                continue
            self._started.add(case.id)
            started += 1
        if started:
            log.info("reconciler: started the workflows of %d stored cases", started)
        return started

    def _documents(self, case_id: str) -> Documents:
        with Session(self.engine) as session:
            return form_documents(session, case_id)

    def _pending(self, cutoff: datetime) -> Sequence[Case]:
        """The oldest cases stored as submitted before `cutoff`, not known to be started."""
        with Session(self.engine) as session:
            ids = session.exec(
                select(Case.id)
                .where(Case.status == CaseStatus.submitted, col(Case.submitted_at) <= cutoff)
                .order_by(col(Case.submitted_at))
                .limit(BATCH + len(self._started))
            ).all()
            if len(ids) < BATCH + len(self._started):  # every such case seen: forget the rest
                self._started &= set(ids)
            wanted = [i for i in ids if i not in self._started][:BATCH]
            if not wanted:
                return []
            rows = session.exec(select(Case).where(col(Case.id).in_(wanted))).all()
            return sorted(rows, key=lambda c: c.submitted_at)
