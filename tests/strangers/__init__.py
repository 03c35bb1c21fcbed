"""Databases devkit has never seen, and a harness that measures the documented flow on them (issue 13). The
builders and their interface are in testbed/strangers (the benchmarks build the same databases)."""
