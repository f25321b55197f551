"""The reform's figures for managers, read from the read model.

- rollups.py: the pre-aggregated tables, kept by the read-model writer, rebuildable;
- facts.py: the case and item record the rollups read;
- period.py: the China days a dashboard covers;
- queries.py: the dashboard's SQL over the rollups, and the live backlog;
- case_tables.py: the same sums from the case tables (the reference, the unstarted cases);
- dashboard.py: the figures assembled from those sums (figures.py: their models);
- trace.py: one case's SLA trace and critical path;
- names.py: the catalog's names of the codes figures are keyed by;
- exports.py: a table of figures as a CSV or Excel file.

The ratios themselves are defined once, in domain/measures.py.
"""
