"""The native runtime (runtime.py): the stack as host processes, no Docker.

process.py spawns, records and stops them; postgres.py owns a PostgreSQL cluster's data and OS user; binaries.py
finds PostgreSQL 15 and redis-server; translate.py turns compose specs into argv and environment; health.py
probes from the host; logs.py reads the log files. What differs per kind lives in devkit/stack/kinds.
Empty on purpose: `devkit up` imports only the modules it uses (lock.py needs process.py, never psycopg).
"""
