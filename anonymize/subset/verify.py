"""After the subset is loaded (post-data done, so PostgreSQL has validated every declared foreign key): each rule
table holds exactly the rows the plan counted in the closure, and every virtual reference (which no constraint
guards) finds its parent."""

from __future__ import annotations

import psycopg

from anonymize.postgres import quote_ident, quote_qualified
from anonymize.report import VerifyReport
from anonymize.subset.plan import SubsetPlan


def verify_subset(dsn: str, plan: SubsetPlan, report: VerifyReport) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table, planned in sorted(plan.counts.items()):
            loaded = conn.execute(f"SELECT count(*) FROM {quote_qualified(table)}").fetchone()[0]
            if loaded != planned:
                report.row_count_mismatches.append(
                    f"{table}: {loaded} rows loaded, the subset's closure counted {planned}"
                )
        for edge in plan.closure.edges:
            if not edge.virtual or edge.child not in plan.counts:
                continue
            report.foreign_keys += 1
            report.foreign_keys_checked_by_query += 1
            child, parent = quote_qualified(edge.child), quote_qualified(edge.parent)
            reference = edge.child_sql[0]
            query = (
                f"SELECT count(*) FROM (SELECT {reference} AS ref FROM {child}) c "
                f"WHERE c.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} p "
                f"WHERE p.{quote_ident(edge.parent_columns[0])} = c.ref)"
            )
            dangling = conn.execute(query).fetchone()[0]
            if dangling:
                report.foreign_key_violations.append(
                    f"{edge.child}: {dangling} row(s) break the subset's {edge.name} (-> {edge.parent})"
                )
