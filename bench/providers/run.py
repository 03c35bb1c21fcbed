"""Load on the mock payment providers with Locust (the platform's load tool), on this machine, loopback only.

The mix of issue 18 (create 40% / status 30% / confirm 20% / refund 10%, card processor API) at a target rate,
bounded in time (and so in count), against a baseline in the same run: the same server, client and pacing on
GET /_devkit/health (one Redis PING). Rounds alternate baseline, mix, baseline, mix, ... Reported per round: RPS
held, p50/p95/p99 (ms), errors, the service's CPU time per request (from /proc: on a shared machine contention
stretches latency, much less CPU time); and the mix's RPS, p95 and CPU per request as ratios of the baseline's.
The aim (issue 18): >= 500 RPS held with p95 < 100 ms, so the mock is never the bottleneck of a laptop load test.

The service runs natively (`python3 -m devkit.providers`, as the native runtime starts it) with a private
redis-server; Locust runs headless in one process (FastHttpUser).

    .venv/bin/python bench/providers/run.py [--users 60] [--rate-per-user 10] [--seconds 20] [--rounds 1]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from testbed.servers import free_port, start_redis  # noqa: E402

LOCUST = Path(sys.executable).parent / "locust"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


@dataclass
class Result:
    scenario: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    cpu_ms_per_request: float  # the service's CPU time (user + system) over the round / requests served
    client_cpu_ms_per_request: float  # Locust's, the same way: on 2 shared cores the client competes too


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (contention on a shared machine stretches latency, not this)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_providers(port: int, redis_url: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port), "REDIS_URL": redis_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "devkit.providers"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("w"),
        text=True,
    )  # fmt: skip
    line = process.stdout.readline() if process.stdout else ""
    if "listening" not in line:
        process.kill()
        raise SystemExit(f"providers did not start: {line}{log.read_text()[-2000:]}")
    return process


def run_locust(scenario: str, url: str, users: int, rate: float, seconds: int, workdir: Path, pid: int) -> Result:
    prefix = workdir / scenario
    env = {**os.environ, "BENCH_SCENARIO": scenario, "BENCH_RATE_PER_USER": str(rate)}
    command = [
        str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", url, "--users", str(users),
        "--spawn-rate", str(users), "--run-time", f"{seconds}s", "--csv", str(prefix), "--only-summary",
        "--stop-timeout", "5",
    ]  # fmt: skip
    cpu_before, children_before = cpu_seconds(pid), _children_cpu()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    cpu, client_cpu = cpu_seconds(pid) - cpu_before, _children_cpu() - children_before
    stats = Path(f"{prefix}_stats.csv")
    if not stats.is_file():
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stderr[-3000:]}")
    with stats.open() as handle:
        row = next(item for item in csv.DictReader(handle) if item["Name"] == "Aggregated")
    return Result(
        scenario,
        int(row["Request Count"]),
        int(row["Failure Count"]),
        float(row["Requests/s"]),
        float(row["50%"]),
        float(row["95%"]),
        float(row["99%"]),
        cpu * 1000 / max(1, int(row["Request Count"])),
        client_cpu * 1000 / max(1, int(row["Request Count"])),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children: the finished Locust runs
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--rate-per-user", type=float, default=10.0, help="requests/s each user aims at")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-providers-"))
    redis = start_redis(workdir / "redis")
    port = free_port()
    service = start_providers(port, redis.url, workdir / "providers.log")
    url = f"http://127.0.0.1:{port}"
    target = args.users * args.rate_per_user
    print(f"target {target:.0f} req/s ({args.users} users x {args.rate_per_user}/s), {args.seconds}s per round, "
          f"{os.cpu_count()} CPUs (shared); service {url}")  # fmt: skip
    results: list[Result] = []
    try:
        for round_no in range(args.rounds):
            for scenario in ("baseline", "mix"):
                result = run_locust(scenario, url, args.users, args.rate_per_user, args.seconds, workdir, service.pid)
                results.append(result)
                print(
                    f"round {round_no + 1} {scenario:8}  {result.requests:7d} requests  {result.failures:4d} errors  "
                    f"{result.rps:7.1f} req/s  p50 {result.p50:5.0f} ms  p95 {result.p95:5.0f} ms  "
                    f"p99 {result.p99:5.0f} ms  service CPU {result.cpu_ms_per_request:.2f} ms/request  "
                    f"Locust CPU {result.client_cpu_ms_per_request:.2f} ms/request"
                )
    finally:
        service.terminate()
        service.wait(10)
        redis.stop()
    base = [r for r in results if r.scenario == "baseline"]
    mix = [r for r in results if r.scenario == "mix"]
    rps_ratio = sum(r.rps for r in mix) / sum(r.rps for r in base)
    p95_ratio = sum(r.p95 for r in mix) / max(1.0, sum(r.p95 for r in base))
    worst = max(mix, key=lambda r: r.p95)
    held = min(r.rps for r in mix)
    errors = sum(r.failures for r in mix)
    cpu_mix = statistics.median(r.cpu_ms_per_request for r in mix)
    cpu_ratio = cpu_mix / statistics.median(r.cpu_ms_per_request for r in base)
    print(f"mix/baseline: RPS x{rps_ratio:.2f}, p95 x{p95_ratio:.2f}, service CPU per request x{cpu_ratio:.2f}")
    print(f"one core serves ~{1000 / cpu_mix:.0f} mix req/s by the service's CPU time ({cpu_mix:.2f} ms/request)")
    verdict = "met" if held >= 500 and worst.p95 < 100 and not errors else "NOT met"
    print(f"aim >= 500 req/s at p95 < 100 ms, no errors: {verdict} (held {held:.0f} req/s, p95 {worst.p95:.0f} ms, "
          f"{errors} errors)")  # fmt: skip


if __name__ == "__main__":
    main()
