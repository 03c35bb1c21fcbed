from pathlib import Path

import pytest

from devkit.config import load_settings
from devkit.errors import ConfigError
from devkit.stack.endpoints import dev_dsn, service_url
from devkit.stack.spec import DISABLED_HEALTHCHECK, load_stack, parse_stack, start_order

REPO_ROOT = Path(__file__).resolve().parents[2]


def settings_for(tmp_path: Path, environ: dict | None = None):
    return load_settings(cwd=tmp_path, environ=environ or {})


def parse(tmp_path: Path, text: str, environ: dict | None = None, variables: dict | None = None):
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    return parse_stack(text, path, variables or {}, settings_for(tmp_path, environ))


def test_the_shipped_compose_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVKIT_MONOREPO", raising=False)
    settings = load_settings(cwd=REPO_ROOT, environ={"DEVKIT_MONOREPO": str(tmp_path / "no-monorepo")})
    stack = load_stack(settings)
    assert list(stack.services) == ["postgres", "redis", "providers"]
    providers = stack.services["providers"]
    assert providers.build is not None and providers.build.context == REPO_ROOT
    assert providers.urls == {
        "paypay": "/paypay",
        "line_pay": "/linepay",
        "rakuten_pay": "/rakuten",
        "card_processor": "/stripe",
        "page": "/",
    }
    assert providers.native is not None and providers.native.cwd == REPO_ROOT
    assert stack.select(["providers"]) == ["redis", "providers"]
    postgres = stack.services["postgres"]
    assert postgres.kind == "postgres"
    assert postgres.image == "postgres:15"
    assert postgres.host_port(5432) == 5432
    assert stack.services["redis"].image == "redis:7-alpine"
    assert dev_dsn(stack) == "postgresql://dev:dev@127.0.0.1:5432/mpac_dev"
    # svc-portal's build context lives in the monorepo, absent here: skipped, naming the setting.
    assert [item.name for item in stack.skipped] == ["svc-portal"]
    assert "DEVKIT_MONOREPO" in stack.skipped[0].reason


def test_the_shipped_compose_file_with_a_monorepo(tmp_path: Path) -> None:
    (tmp_path / "services" / "svc-portal").mkdir(parents=True)
    settings = load_settings(cwd=REPO_ROOT, environ={"DEVKIT_MONOREPO": str(tmp_path)})
    stack = load_stack(settings)
    portal = stack.services["svc-portal"]
    assert portal.build is not None and portal.build.context == tmp_path / "services" / "svc-portal"
    assert portal.depends_on == {"postgres": "service_healthy", "redis": "service_healthy"}
    assert portal.environment["ENV"] == "development"
    assert portal.native is not None and "$PORT" in portal.native.command[-1]
    assert stack.select(["svc-portal"]) == ["postgres", "redis", "svc-portal"]


def test_overrides_from_settings(tmp_path: Path) -> None:
    text = """
services:
  db:
    image: postgres:15
    ports: ["127.0.0.1:5432:5432"]
  cache:
    image: redis:7
    ports: ["6379"]
  web-app:
    image: nginx
    ports: ["8080:80"]
"""
    stack = parse(
        tmp_path,
        text,
        environ={
            "DEVKIT_PORT_DB": "15432",
            "DEVKIT_PORT_WEB_APP": "18080",
            "DEVKIT_IMAGE_PREFIX": "mirror.local/hub/",
            "DEVKIT_IMAGE_CACHE": "mirror.local/cache:7",
        },
    )
    assert stack.services["db"].ports[0].host == 15432
    assert stack.services["db"].ports[0].host_ip == "127.0.0.1"
    assert stack.services["db"].image == "mirror.local/hub/postgres:15"
    assert stack.services["cache"].image == "mirror.local/cache:7"
    assert stack.services["cache"].ports[0].host == 6379
    assert stack.services["web-app"].ports[0].host == 18080
    assert stack.services["web-app"].ports[0].container == 80
    assert service_url(stack.services["cache"]) == "redis://127.0.0.1:6379/0"
    assert service_url(stack.services["web-app"]) == "http://127.0.0.1:18080"


def test_config_hash_changes_with_the_spec(tmp_path: Path) -> None:
    base = "services:\n  a:\n    image: x\n    environment: {K: '1'}\n"
    first = parse(tmp_path, base).services["a"].config_hash
    again = parse(tmp_path, base).services["a"].config_hash
    changed = parse(tmp_path, base.replace("'1'", "'2'")).services["a"].config_hash
    assert first == again != changed


def test_long_and_short_syntax(tmp_path: Path) -> None:
    text = """
services:
  a:
    image: x
    ports:
      - target: 80
        published: 8081
        host_ip: 127.0.0.1
      - "9000:9000/udp"
    environment: ["A=1", "B=two=2"]
    volumes:
      - data:/data:ro
      - ./conf:/etc/conf
    command: run --fast "quoted arg"
    healthcheck:
      test: curl -f http://localhost
      interval: 1m30s
      timeout: 500ms
      start_period: 2s
      start_interval: 250ms
    depends_on: [b]
    labels: ["team=pos"]
    profiles: [tools]
  b:
    image: y
    healthcheck:
      disable: true
volumes:
  data:
"""
    stack = parse(tmp_path, text, variables={"COMPOSE_PROFILES": "tools"})
    a = stack.services["a"]
    assert [(p.host_ip, p.host, p.container, p.protocol) for p in a.ports] == [
        ("127.0.0.1", 8081, 80, "tcp"),
        ("0.0.0.0", 9000, 9000, "udp"),
    ]
    assert a.environment == {"A": "1", "B": "two=2"}
    assert (a.volumes[0].kind, a.volumes[0].source, a.volumes[0].read_only) == ("volume", "data", True)
    assert a.volumes[1].kind == "bind" and a.volumes[1].source == str(tmp_path / "conf")
    assert a.command == ["run", "--fast", "quoted arg"]
    assert a.healthcheck is not None
    assert a.healthcheck.test == ["CMD-SHELL", "curl -f http://localhost"]
    check = a.healthcheck
    assert (check.interval, check.timeout, check.start_period, check.start_interval) == (90.0, 0.5, 2.0, 0.25)
    assert a.depends_on == {"b": "service_started"}
    assert a.labels == {"team": "pos"}
    assert stack.services["b"].healthcheck == DISABLED_HEALTHCHECK
    assert start_order(stack.services) == ["b", "a"]


def test_profiles_hide_services_unless_active(tmp_path: Path) -> None:
    text = "services:\n  a:\n    image: x\n  tool:\n    image: y\n    profiles: [tools]\n"
    assert list(parse(tmp_path, text).services) == ["a"]
    path = tmp_path / "docker-compose.yml"
    stack = parse_stack(text, path, {}, settings_for(tmp_path), profiles=["tools"])
    assert list(stack.services) == ["a", "tool"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("services: [a]\n", "no 'services' mapping"),
        ("services:\n  a:\n    image: x\n    ports: ['abc']\n", "service 'a', field 'ports[0]'"),
        ("services:\n  a:\n    image: x\n    ports: ['99999:1']\n", "out of range"),
        ("services:\n  a:\n    build: {}\n", "field 'build'"),
        ("services:\n  a:\n    environment: {}\n", "needs an image or a build"),
        ("services:\n  a:\n    image: x\n    depends_on: [nope]\n", "unknown service 'nope'"),
        (
            "services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: later}\n  b:\n    image: y\n",
            "condition",
        ),
        ("services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: y\n    depends_on: [a]\n", "cycle"),
        ("services:\n  a:\n    image: x\n    healthcheck: {test: ['CMD'], interval: 5x}\n", "healthcheck.interval"),
        ("services:\n  a:\n    image: x\n    volumes: ['data:relative']\n", "absolute"),
        ("services:\n  a:\n    image: x\n    frobnicate: 1\n", "field 'frobnicate'"),
        ("services:\n  a:\n    image: x\n    x-devkit: {kind: mysql}\n", "x-devkit.kind"),
        ("services:\n  a:\n    image: x\n    x-devkit: {urls: {web: relative}}\n", "x-devkit.urls"),
        ("services:\n  a:\n    image: ${NEED:?set NEED}\n", "NEED"),
        ("services:\n  a:\n    image: x\n  b:\n    image: y\n    ports: ['1']\n    x: [\n", "invalid YAML"),
        (
            "services:\n  a:\n    image: x\n    ports: ['80:80']\n  b:\n    image: y\n    ports: ['80:81']\n",
            "both publish host port 80",
        ),
    ],
)
def test_malformed_compose_names_file_service_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse(tmp_path, text)
    message = error.value.one_line()
    assert fragment in message
    assert "docker-compose.yml" in message


def test_missing_compose_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_stack(settings_for(tmp_path))
    assert "DEVKIT_COMPOSE_FILE" in error.value.one_line()


def test_dependents_of_a_skipped_service_are_skipped(tmp_path: Path) -> None:
    text = "services:\n  api:\n    build: ./missing\n  worker:\n    image: w\n    depends_on: [api]\n"
    stack = parse(tmp_path, text)
    assert stack.services == {}
    assert [item.name for item in stack.skipped] == ["api", "worker"]
