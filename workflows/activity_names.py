"""Names of the activities the scenario workflow calls but does not import.

The read-model writers (`activities/read_model.py`) touch the database and OpenTelemetry, which
workflow code must not import: the workflow names them here, the activities register under
these names, and the workflow gives each call's result type itself. Department activities are
named by the catalog (`items.yaml`: `activity`, `compensation`) and reach the workflow in its
input.
"""

RECORD_ITEM = "record_item"  # one transition (workflows started before `read-model-batches`)
RECORD_ITEMS = "record_items"
RECORD_CASE = "record_case"
