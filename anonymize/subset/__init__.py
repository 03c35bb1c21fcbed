"""Subsets (`devkit snapshot --anonymize --subset`): a few tenants over a recent window, referentially whole,
reading only what is kept. One job a module:
- spec.py     what is declared: the rules' `subset:` section and the command line's conditions -> SubsetSpec;
- graph.py    tables and edges (foreign keys, virtual references); roots, down/up regions, unreached; order;
- closure.py  the closure as one recursive SQL query, and each table's source filter (a semi-join on its key);
- plan.py     against the live source, in the run's snapshot: checks, estimates, missing indexes, counts;
- verify.py   after loading: counts equal the closure's, virtual references hold.
The pipeline takes a table's source filter from the plan (anonymize/pipeline/plan.py: TablePlan.subset)."""
