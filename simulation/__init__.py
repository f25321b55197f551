"""`onego simulate`: real cases through the real workflows on Temporal's time-skipping test
server, with simulated clerks and applicants, and a report against the one-by-one baseline
(docs/simulation.md).

- distributions.py, config.py, defaults.yaml: durations and behaviour as configuration
- clock.py: arrivals, office hours, the driver's steps
- applicants.py: the run's applicants and the registries that know some of them
- behaviour.py: what clerks and applicants do with a reviewed item
- baseline.py: the one-by-one path of each case
- driver.py: the schedule, the clock and the updates
- worker.py: a workflow worker process of a run
- store.py: the run's own tables next to the read model
- figures.py, report.py, templates/: the figures from the run's database, and the report
- run.py: `simulate`, everything in order
"""
