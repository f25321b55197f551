"""The read model (SQLModel): cases, items, tasks, users, and the simulated departments' ledger."""
