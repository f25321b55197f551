"""Scenario workflows and the names shared with their starters."""

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


def case_workflow_id(case_id: str) -> str:
    """One case is one workflow execution; its id is derived from the case id."""
    return f"case-{case_id}"
