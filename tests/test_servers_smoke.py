import socket

import psycopg


def test_postgres_fixture_is_real_postgres_15(pg_database: str) -> None:
    with psycopg.connect(pg_database) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
    assert 150000 <= int(version) < 160000


def test_redis_fixture_answers_ping(redis_server) -> None:
    with socket.create_connection(("127.0.0.1", redis_server.port)) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16) == b"+PONG\r\n"
