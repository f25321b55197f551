"""The custom search attributes of a case: what the Temporal UI and `temporal workflow list`
filter cases by.

`ScenarioWorkflow` sets them: the scenario and the departments of the case's items at start,
the outcome (a `CaseStatus` value: `running`, then how the case ended) at start and end. They
hold catalog codes and statuses only, never personal data: search attributes are not sealed
by the payload codec (docs/security.md).

A server must know them before a case sets them, or the workflow task fails: `onego run`
and the tests' servers register `SEARCH_ATTRIBUTES`, a cluster registers them once
(docs/deployment.md, "Search attributes").
"""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey

SCENARIO = SearchAttributeKey.for_keyword("OnegoScenario")
OUTCOME = SearchAttributeKey.for_keyword("OnegoOutcome")
DEPARTMENTS = SearchAttributeKey.for_keyword_list("OnegoDepartments")
SEARCH_ATTRIBUTES = (SCENARIO, OUTCOME, DEPARTMENTS)

# The types by the names Temporal's CLI takes (`--search-attribute NAME=TYPE`, `--type TYPE`).
_TYPE_NAMES = {
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


def type_name(key: SearchAttributeKey) -> str:
    """The attribute's type as the CLI names it, e.g. `KeywordList`."""
    return _TYPE_NAMES[key.indexed_value_type]


def dev_server_args() -> list[str]:
    """The arguments of `temporal server start-dev` that register every attribute."""
    return [
        arg
        for key in SEARCH_ATTRIBUTES
        for arg in ("--search-attribute", f"{key.name}={type_name(key)}")
    ]


def registration(namespace: str) -> AddSearchAttributesRequest:
    """The operator-service request that registers every attribute in `namespace`: for a
    server that takes no flag for them (the time-skipping test server)."""
    return AddSearchAttributesRequest(
        namespace=namespace,
        search_attributes={
            key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
            for key in SEARCH_ATTRIBUTES
        },
    )
