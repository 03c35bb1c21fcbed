"""Time-to-healthy of `devkit up`, against `docker-compose up -d` + polling health, in the same run.

Same compose file (the suite's: PostgreSQL, Redis and the `build:` service echo), same locally built images
(testbed/images; no registry here), same engine. Scenarios:

  cold   after `down --volumes`: create network and volumes, start in depends_on order, wait until all healthy
  no-op  everything is already up and healthy: run `up` again

docker-compose 1.29 (Debian's /usr/bin/docker-compose) gets a generated copy of the compose file with the image
overrides and ports written in, since it knows nothing of DEVKIT_* settings; it is timed until `docker inspect`
reports every container healthy. `devkit up --runtime native` is timed too when the native runtime is installed.

    .venv/bin/python bench/up/run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from testbed.images.build import POSTGRES_IMAGE, REDIS_IMAGE, connect, ensure_test_images  # noqa: E402
from testbed.servers import free_port  # noqa: E402

COMPOSE_FILE = ROOT / "tests" / "fixtures" / "stack" / "docker-compose.yml"
DEVKIT = Path(sys.executable).parent / "devkit"
DOCKER_COMPOSE = shutil.which("docker-compose") or "/usr/bin/docker-compose"
SERVICES = ("postgres", "redis", "echo")
IMAGES = {"postgres": POSTGRES_IMAGE, "redis": REDIS_IMAGE}


def run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-3000:]}")


def timed(action: Callable[[], None]) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVKIT_", "COMPOSE_"))}
    env["NO_COLOR"] = "1"
    return env


class Devkit:
    def __init__(self, runtime: str, workdir: Path) -> None:
        self.runtime = runtime
        self.workdir = workdir / f"devkit-{runtime}"
        self.workdir.mkdir()
        (self.workdir / "devkit.toml").write_text(f'[stack]\ncompose_file = "{COMPOSE_FILE}"\n')
        self.project = f"bench{runtime}{uuid.uuid4().hex[:6]}"
        self.env = {
            **base_env(),
            "DEVKIT_CONFIG": str(self.workdir / "devkit.toml"),
            "DEVKIT_PROJECT": self.project,
            "DEVKIT_STATE_DIR": str(self.workdir / "state"),
            **{f"DEVKIT_PORT_{s.upper()}": str(free_port()) for s in SERVICES},
            **{f"DEVKIT_IMAGE_{s.upper()}": image for s, image in IMAGES.items()},
        }

    def devkit(self, *args: str) -> None:
        run([str(DEVKIT), *args, "--runtime", self.runtime], self.env, self.workdir)

    def up(self) -> None:
        self.devkit("up")

    def reset(self) -> None:
        self.devkit("down", "--volumes", "--yes")


class DockerCompose:
    def __init__(self, workdir: Path, client: object) -> None:
        self.client = client
        self.project = f"benchcompose{uuid.uuid4().hex[:6]}"
        document = yaml.safe_load(COMPOSE_FILE.read_text())
        for name, service in document["services"].items():
            service.pop("x-devkit", None)
            if name in IMAGES:
                service["image"] = IMAGES[name]
            container_port = str(service["ports"][0]).rsplit(":", 1)[-1]
            service["ports"] = [f"127.0.0.1:{free_port()}:{container_port}"]
            if "build" in service:
                service["build"]["context"] = str(COMPOSE_FILE.parent / service["build"]["context"])
        self.file = workdir / "docker-compose.bench.yml"
        self.file.write_text(yaml.safe_dump(document, sort_keys=False))
        self.workdir = workdir
        self.env = base_env()

    def compose(self, *args: str) -> None:
        run([DOCKER_COMPOSE, "-p", self.project, "-f", str(self.file), *args], self.env, self.workdir)

    def up(self) -> None:
        self.compose("up", "-d")
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 180) -> None:
        api = self.client.api  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = api.containers(all=True, filters={"label": f"com.docker.compose.project={self.project}"})
            states = [api.inspect_container(c["Id"])["State"] for c in found]
            if len(states) == len(SERVICES) and all((s.get("Health") or {}).get("Status") == "healthy" for s in states):
                return
            time.sleep(0.1)
        raise SystemExit(f"docker-compose stack {self.project} not healthy within {timeout}s")

    def reset(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans")


def measure(tool: Devkit | DockerCompose, repeat: int) -> dict[str, list[float]]:
    cold, noop = [], []
    for _ in range(repeat):
        tool.reset()
        cold.append(timed(tool.up))
        noop.append(timed(tool.up))
    tool.reset()
    return {"cold": cold, "no-op": noop}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario; the median is reported")
    args = parser.parse_args()
    client = connect()
    ensure_test_images(client, log=lambda line: print(f"[images] {line}"))
    tools: dict[str, Devkit | DockerCompose] = {}
    with tempfile.TemporaryDirectory(prefix="devkit-bench-up-") as scratch:
        workdir = Path(scratch)
        tools["devkit (docker)"] = Devkit("docker", workdir)
        tools["docker-compose 1.29"] = DockerCompose(workdir, client)
        if importlib.util.find_spec("devkit.stack.native") is not None:
            tools["devkit (native)"] = Devkit("native", workdir)
        results = {}
        try:
            for name, tool in tools.items():
                print(f"measuring {name} ({args.repeat}x cold + no-op) ...", flush=True)
                results[name] = measure(tool, args.repeat)
        finally:
            for tool in tools.values():  # leave nothing running, whatever failed
                with contextlib.suppress(SystemExit):
                    tool.reset()
    report(results, args.repeat)
    return 0


def report(results: dict[str, dict[str, list[float]]], repeat: int) -> None:
    baseline = results["docker-compose 1.29"]
    print(f"\ntime to healthy, median of {repeat} (PostgreSQL 15 + Redis 7 + build: service, same images/engine)")
    header = f"{'tool':<22}{'cold (s)':>10}{'no-op (s)':>11}{'cold ÷ compose':>16}{'no-op ÷ compose':>17}"
    print(header)
    print("-" * len(header))
    for name, scenarios in results.items():
        cold, noop = statistics.median(scenarios["cold"]), statistics.median(scenarios["no-op"])
        cold_ratio = cold / statistics.median(baseline["cold"])
        noop_ratio = noop / statistics.median(baseline["no-op"])
        print(f"{name:<22}{cold:>10.2f}{noop:>11.2f}{cold_ratio:>16.2f}{noop_ratio:>17.2f}")
    print("(ratio < 1: faster than docker-compose up -d + waiting for health)")


if __name__ == "__main__":
    sys.exit(main())
