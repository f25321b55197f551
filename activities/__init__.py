"""Temporal activities: the departments' (defined from the catalog, performed by each
department's adapter, adapters/) and the read-model writers."""
