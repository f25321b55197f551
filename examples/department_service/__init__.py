"""A reference department system: the HTTP department contract
(contracts/department.openapi.yaml) served by a small FastAPI app with its own SQLite ledger.

Run it with `python -m examples.department_service` (settings in `settings.py`, from
`DEPT_SERVICE_*` variables). A department can read it as a model of its own system, and
`onego department check` runs against it in the tests.
"""
