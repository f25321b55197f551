"""Scenario workflows and the names shared with their starters."""


def case_workflow_id(case_id: str) -> str:
    """One case is one workflow execution; its id is derived from the case id."""
    return f"case-{case_id}"
