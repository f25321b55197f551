"""`python -m examples.department_service`: serve the reference department system with uvicorn
(settings from `DEPT_SERVICE_*`; DEPT_SERVICE_SECRET is required)."""

import uvicorn

from examples.department_service.app import create_app
from examples.department_service.settings import ServiceSettings

if __name__ == "__main__":
    settings = ServiceSettings()  # type: ignore[call-arg]
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")
