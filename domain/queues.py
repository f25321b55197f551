"""Task queues: where a deployment's scenario workflows and department activities run.

Vocabulary (pure, no imports of the product): the settings, the catalog, the workflows and the
edges all name the queues, so they live at the bottom.
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
