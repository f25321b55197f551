"""`make bench`: onego's API path against a raw Temporal workflow with the same activity graph.

The driver is `bench/__main__.py` (`python -m bench`). This module holds the raw side, the
floor onego is measured against: a workflow that runs a scenario's item graph (the same
items and dependency edges, in parallel where they allow) with activities that return at
once. It imports only temporalio, pydantic and the standard library, so the workflow
sandbox re-imports nothing heavy per run.
"""

import asyncio
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow


class GraphInput(BaseModel):
    """An item graph: each item with the items it must wait for."""

    requires: dict[str, list[str]]


@activity.defn
async def noop(item: str) -> str:
    """A no-op activity: returns at once."""
    return item


@workflow.defn
class RawGraphWorkflow:
    """Runs every item as a no-op activity as soon as the items it waits for are done."""

    @workflow.run
    async def run(self, input: GraphInput) -> list[str]:
        done: list[str] = []

        async def run_item(item: str, needs: list[str]) -> None:
            await workflow.wait_condition(lambda: all(n in done for n in needs))
            await workflow.execute_activity(
                noop, item, start_to_close_timeout=timedelta(seconds=30)
            )
            done.append(item)

        await asyncio.gather(*(run_item(i, n) for i, n in input.requires.items()))
        return done
