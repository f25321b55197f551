"""The case view (cases/view.py) on each database: who sees which case, masked or whole, and
the measures a case carries."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from cases.errors import NotAllowed, NotFound
from cases.view import LISTED, NEWEST_FIRST, case_measures, list_cases, own_case, visible_case
from catalog.loader import get_catalog
from domain.statuses import ItemStatus
from store.models import Case, CaseItem, Role
from tests.cases.conftest import store_case, user

CITIZEN_ID = "500103202401010011"


def test_measures_compare_the_case_with_one_by_one(engine: Engine) -> None:
    with Session(engine) as session:
        case = session.get(Case, store_case(session, user(session, Role.applicant)))
        assert case is not None
        running = case_measures(case)
        assert running.time_reduction is None and running.actual_days is None
        case.materials_baseline, case.materials_provided = 8, 2
        case.baseline_days, case.actual_days = 40.0, 3.0
        case.applicant_days, case.department_days = 1.23456789, 1.7654321
        done = case_measures(case)
    assert done.material_reduction == 0.75
    assert done.time_reduction == 0.925
    assert (done.applicant_days, done.department_days) == (1.234568, 1.765432)
    case.materials_baseline = 0  # nothing to compare with
    assert case_measures(case).material_reduction == 0.0


def test_the_applicant_sees_their_case_whole_managers_masked_others_nothing(
    engine: Engine,
) -> None:
    catalog = get_catalog()
    with Session(engine) as session:
        owner = user(session, Role.applicant)
        case_id = store_case(session, owner)
        row = session.exec(
            select(CaseItem).where(
                CaseItem.case_id == case_id, CaseItem.item == "household_registration"
            )
        ).one()
        row.status, row.outputs = ItemStatus.done, {"citizen_id": CITIZEN_ID}
        session.add(row)
        session.commit()

        own = visible_case(session, catalog, case_id, owner)
        assert own.outputs["citizen_id"] == CITIZEN_ID and own.whole == ["citizen_id"]
        assert own.progress.done == 1 and own.progress.total == len(own.items)
        manager = visible_case(session, catalog, case_id, user(session, Role.manager))
        assert manager.outputs["citizen_id"] != CITIZEN_ID and manager.whole == []
        for other in (user(session, Role.applicant), user(session, Role.clerk, "public-security")):
            with pytest.raises(NotFound) as refused:
                visible_case(session, catalog, case_id, other)
            assert refused.value.message.zh == "没有这个办件"
            with pytest.raises(NotFound):
                own_case(session, case_id, other)
        assert own_case(session, case_id, owner).id == case_id


def test_lists_are_for_applicants_own_cases_and_managers(engine: Engine) -> None:
    catalog = get_catalog()
    with Session(engine) as session:
        owner, other = user(session, Role.applicant), user(session, Role.applicant)
        first, second = store_case(session, owner), store_case(session, owner)
        assert {c.id for c in list_cases(session, catalog, owner)} == {first, second}
        assert list_cases(session, catalog, other) == []
        managed = [c.id for c in list_cases(session, catalog, user(session, Role.manager))]
        # Everyone's newest cases (the shared read model holds other tests' cases too).
        newest = session.exec(select(Case.id).order_by(*NEWEST_FIRST).limit(LISTED)).all()
        assert managed == list(newest) != []
        with pytest.raises(NotAllowed) as refused:
            list_cases(session, catalog, user(session, Role.clerk, "tax"))
    assert refused.value.message.en == "applicants and managers only"
