"""The custom search attributes of a case: what the Temporal UI and `temporal workflow list`
filter cases by.

The start of a case's workflow sets them (`at_start`, cases/submission.py): the scenario, the
departments of the case's items and the outcome `running`; the workflow sets the outcome (a
`CaseStatus` value) when the case ends. Cases started before the start carried them set all
three in their first workflow task (patch `search-attributes`), a first upsert that cost the
server an event, a marker, Temporal's own `TemporalChangeVersion` upsert and their
visibility writes per case. They hold catalog codes and statuses only, never personal data:
search attributes are not sealed by the payload codec (docs/security.md).

A server must know them before a case sets them, or the workflow task fails: `onego run`
and the tests' servers register `SEARCH_ATTRIBUTES`, a cluster registers them once
(docs/deployment.md, "Search attributes").
"""

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.common import (
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
)

from catalog.models import ScenarioSpec
from domain.statuses import CaseStatus

SCENARIO = SearchAttributeKey.for_keyword("OnegoScenario")
OUTCOME = SearchAttributeKey.for_keyword("OnegoOutcome")
DEPARTMENTS = SearchAttributeKey.for_keyword_list("OnegoDepartments")
SEARCH_ATTRIBUTES = (SCENARIO, OUTCOME, DEPARTMENTS)


def departments_of(spec: ScenarioSpec) -> list[str]:
    """The departments of the case's items, sorted: `DEPARTMENTS`' value."""
    return sorted({item.department for item in spec.items})


def at_start(spec: ScenarioSpec) -> TypedSearchAttributes:
    """The attributes a case's workflow starts with (the spec of its applicable items)."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(SCENARIO, spec.code),
            SearchAttributePair(DEPARTMENTS, departments_of(spec)),
            SearchAttributePair(OUTCOME, CaseStatus.running.value),
        ]
    )


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
