"""The request's database session (routers/deps.get_session) gives its connection back,
whether its work was committed, it only read, or it was refused."""

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from api import create_app
from runtime.settings import Settings
from store.models import Role
from tests.helpers import Api


async def test_every_request_gives_its_connection_back(
    settings: Settings, dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    app = create_app(settings, temporal=dev_env.client)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://onego.test") as http:
            api = Api(http, engine, settings, dev_env.client)
            applicant = await api.account(Role.applicant)
            pool = app.state.engine.pool
            created = await api.submit(applicant)  # committed
            assert created.status_code == 201, created.text
            assert pool.checkedout() == 0
            case_id = created.json()["id"]
            read = await http.get(f"/api/v1/cases/{case_id}", headers=applicant.headers)
            assert read.status_code == 200  # read only: still in its transaction at the end
            assert pool.checkedout() == 0
            refused = await api.submit(applicant, {"mother_name": ""})
            assert refused.status_code == 422 and pool.checkedout() == 0
