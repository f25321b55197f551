"""Task queues: where a deployment's scenario workflows and department activities run.

Kept out of `workflows/__init__.py`, which the workflow sandbox executes afresh for every
workflow run.
"""

from dataclasses import dataclass

SCENARIO_TASK_QUEUE = "onego-scenarios"
DEPARTMENT_QUEUE_PREFIX = "dept-"


@dataclass(frozen=True)
class TaskQueues:
    """The task queues of one deployment: its scenario workflows' and each department's.

    Deployments that share a Temporal namespace (staging beside production, or the tests of
    one run sharing a server) keep their tasks apart by giving each its own names.
    """

    scenarios: str = SCENARIO_TASK_QUEUE
    department_prefix: str = DEPARTMENT_QUEUE_PREFIX

    def department(self, code: str) -> str:
        """Each department's activities run on its own task queue."""
        return f"{self.department_prefix}{code}"


DEFAULT_QUEUES = TaskQueues()
