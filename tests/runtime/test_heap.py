"""The start-up heap is frozen once the API has started (runtime/heap.py)."""

import gc

from temporalio.testing import WorkflowEnvironment

from api import create_app
from runtime.heap import freeze_startup_heap
from runtime.settings import Settings


def test_freezing_keeps_the_objects_alive_now_out_of_the_scans() -> None:
    kept = [object()]  # a container: the collector tracks it (a bare object() it does not)
    frozen = freeze_startup_heap()
    try:
        assert frozen >= 1 and gc.get_freeze_count() == frozen
        assert all(o is not kept for o in gc.get_objects(generation=2))  # no scan reaches it
        made_later = [object()]
        young = gc.get_objects(generation=0)
        assert any(o is made_later for o in young)  # collected as before
    finally:
        gc.unfreeze()


async def test_the_api_freezes_its_startup_heap(
    dev_env: WorkflowEnvironment, settings: Settings
) -> None:
    gc.unfreeze()
    app = create_app(settings, temporal=dev_env.client)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
    gc.unfreeze()
