"""Reform measures per scenario, for managers."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import case as when
from sqlalchemy import func
from sqlmodel import select

from activities.models import CaseStatus
from routers.deps import SessionDep, require
from routers.schemas import ScenarioMetrics
from store.models import Case, Role, User

router = APIRouter(prefix="/metrics", tags=["metrics"])
Manager = Annotated[User, Depends(require(Role.manager, Role.admin))]


def _count(status: CaseStatus):  # type: ignore[no-untyped-def]
    return func.sum(when((Case.status == status, 1), else_=0))


@router.get("/scenarios")
def scenario_metrics(user: Manager, session: SessionDep) -> list[ScenarioMetrics]:
    """Per scenario: cases, materials baseline vs provided, one-by-one days vs actual days.

    Time figures use completed cases only; material figures use every submitted case.
    """
    done = Case.status == CaseStatus.completed
    rows = session.exec(
        select(
            Case.scenario,
            func.count(),
            _count(CaseStatus.completed),
            _count(CaseStatus.rejected),
            func.sum(
                when(
                    (Case.status.in_([CaseStatus.submitted, CaseStatus.running]), 1),  # type: ignore[attr-defined]
                    else_=0,
                )
            ),
            func.sum(Case.materials_baseline),
            func.sum(Case.materials_provided),
            func.sum(when((done, Case.baseline_days), else_=0.0)),
            func.sum(when((done, Case.actual_days), else_=0.0)),
        )
        .group_by(Case.scenario)
        .order_by(Case.scenario)
    ).all()
    result = []
    for code, cases, completed, rejected, running, m_base, m_prov, d_base, d_actual in rows:
        result.append(
            ScenarioMetrics(
                scenario=code,
                cases=cases,
                completed=completed or 0,
                rejected=rejected or 0,
                in_progress=running or 0,
                materials_baseline=m_base or 0,
                materials_provided=m_prov or 0,
                material_reduction=round(1 - m_prov / m_base, 4) if m_base else None,
                baseline_days=float(d_base or 0),
                actual_days=float(d_actual or 0),
                time_reduction=round(1 - d_actual / d_base, 4) if d_base else None,
            )
        )
    return result
