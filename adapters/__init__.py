"""Department adapters: what a department's activities call to reach its system. `simulated`
(the embedded default, with its ledger), `http` (a department's system over signed HTTP) or a
department's own `module:factory`, chosen per department by `config` (DEPARTMENT_ADAPTERS);
every one behind `resilience` (a timeout per call and a circuit breaker)."""
