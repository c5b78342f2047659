"""What a test touches, it declares: ``@pytest.mark.kafka`` and/or ``@pytest.mark.clickhouse``.

A marked test gets the declared service started (or reused) before it runs — only that one —
and, through ``tests/integration/conftest.py``'s ``isolated``, its own topics and database,
deleted afterwards. A test without the marker cannot reach the service: the Kafka clients
(confluent-kafka, aiokafka), ClickHouse connections and sockets to the services' ports fail
with a message naming the marker to add. A test that catches that error fails all the same, so
a swallowed connection attempt cannot pass unnoticed.

Nothing skips: a service that cannot start is an error of every test that declared it.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Generator, Iterator
from types import ModuleType
from typing import Any

import pytest

from streams.settings import Settings

pytest_plugins = ["pytester"]  # tests/test_conftest.py runs a throw-away suite with this file

SERVICES = ("kafka", "clickhouse")
# Our modules (and the client libraries themselves) may hold a client class under its own
# name; these are scanned for it. Third-party code reaches the clients through these modules.
_OWN = ("streams", "rules", "tests")
_CLIENT_MODULES = ("confluent_kafka", "confluent_kafka.admin", "confluent_kafka.cimpl")


_SEEN = pytest.StashKey[list[str]]()  # the refusals during one test


class ServiceNotDeclared(RuntimeError):
    """A test reached Kafka or ClickHouse without the marker that declares it."""


def _advice(service: str, what: str) -> str:
    return (f"this test uses {service} ({what}) but is not marked for it: add "
            f"@pytest.mark.{service} (or pytestmark = pytest.mark.{service}), which starts "
            f"{service} for it and cleans up after it; or replace the client with a fake")


class _Guard:
    """Stands in for a client class or connect method while an undeclared test runs."""

    def __init__(self, service: str, what: str, original: object,
                 seen: list[str]) -> None:
        self.service, self.what, self.original, self.seen = service, what, original, seen

    def __call__(self, *args: object, **kwargs: object) -> Any:
        message = _advice(self.service, self.what)
        self.seen.append(message)
        raise ServiceNotDeclared(message)


def _declared(item: pytest.Item) -> set[str]:
    return {m.name for m in item.iter_markers() if m.name in SERVICES}


def _kafka_classes() -> dict[int, tuple[object, str]]:
    import confluent_kafka
    from confluent_kafka import admin

    found = [getattr(confluent_kafka, name, None) for name in (
        "Producer", "Consumer", "SerializingProducer", "DeserializingConsumer", "ShareConsumer",
        "DeserializingShareConsumer")] + [admin.AdminClient]
    return {id(c): (c, f"confluent_kafka.{c.__name__}") for c in found if c is not None}


class KafkaNames:
    """Where modules bind a Kafka client class to a name, indexed once per module (a scan of
    every module per test would cost more than many of the tests), swapped for guards per test.
    """

    def __init__(self) -> None:
        self.classes = _kafka_classes()
        self.bindings: list[tuple[ModuleType, str, object]] = []
        self.scanned: set[str] = set()
        self.modules = 0

    def _index_new(self) -> None:
        """Index modules imported since the last call; one imported during a guarded test
        took the guard under the client's name, so put the client back there."""
        if len(sys.modules) == self.modules:
            return
        for name, module in list(sys.modules.items()):
            if name in self.scanned or not (name.split(".")[0] in _OWN
                                            or name in _CLIENT_MODULES):
                continue
            self.scanned.add(name)
            for attr, value in list(vars(module).items()):
                original = value.original if isinstance(value, _Guard) else value
                if id(original) in self.classes and original is self.classes[id(original)][0]:
                    self.bindings.append((module, attr, original))
                    setattr(module, attr, original)
        self.modules = len(sys.modules)

    def swap(self, seen: list[str]) -> None:
        self._index_new()
        for module, attr, original in self.bindings:
            setattr(module, attr, _Guard("kafka", self.classes[id(original)][1], original, seen))

    def restore(self) -> None:
        for module, attr, original in self.bindings:
            setattr(module, attr, original)
        self._index_new()


def _guard_sockets(mp: pytest.MonkeyPatch, ports: dict[int, str], seen: list[str]) -> None:
    def checked(original: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any) -> Any:
            if isinstance(address, tuple) and len(address) >= 2 and address[1] in ports:
                service = ports[address[1]]
                message = _advice(service, f"a socket to port {address[1]}")
                seen.append(message)
                raise ServiceNotDeclared(message)
            return original(sock, address)
        return connect

    mp.setattr(socket.socket, "connect", checked(socket.socket.connect))
    mp.setattr(socket.socket, "connect_ex", checked(socket.socket.connect_ex))


def _block(mp: pytest.MonkeyPatch, service: str, names: KafkaNames, seen: list[str]) -> None:
    if service == "kafka":
        from aiokafka.client import AIOKafkaClient

        names.swap(seen)
        # aiokafka's producer, consumer and admin all connect through one bootstrap.
        mp.setattr(AIOKafkaClient, "bootstrap",
                   _Guard("kafka", "aiokafka", AIOKafkaClient.bootstrap, seen))
    else:
        from clickhouse_driver.connection import Connection

        mp.setattr(Connection, "connect",
                   _Guard("clickhouse", "clickhouse_driver", Connection.connect, seen))


def _ports(settings: Settings, services: set[str]) -> dict[int, str]:
    by_service = {"kafka": (settings.kafka_port, settings.kafka_controller_port),
                  "clickhouse": (settings.clickhouse_port, settings.clickhouse_http_port)}
    return {port: s for s in services for port in by_service[s]}


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.load()


def _start(settings: Settings, service: str) -> Settings:
    """Start (or reuse) one service; an error, never a skip, when it cannot start."""
    from streams.ops import services as infra

    infra.up(settings, progress=lambda m: print(f"[infra] {m}"), services=(service,))
    ready = infra.kafka_ready if service == "kafka" else infra.clickhouse_ready
    assert ready(settings, 30), f"{service} started but does not answer"
    return settings


@pytest.fixture(scope="session")
def kafka_service(base_settings: Settings) -> Settings:
    """Kafka up on loopback (started once per session, or the one already running)."""
    return _start(base_settings, "kafka")


@pytest.fixture(scope="session")
def clickhouse_service(base_settings: Settings) -> Settings:
    """ClickHouse up on loopback (started once per session, or the one already running)."""
    return _start(base_settings, "clickhouse")


@pytest.fixture(scope="session")
def kafka_names() -> KafkaNames:
    return KafkaNames()


@pytest.fixture(autouse=True)
def declared_services(request: pytest.FixtureRequest, base_settings: Settings,
                      kafka_names: KafkaNames) -> Iterator[set[str]]:
    """Start the services the test's markers declare; block the others for its duration."""
    declared = _declared(request.node)
    for service in sorted(declared):
        request.getfixturevalue(f"{service}_service")
    undeclared = set(SERVICES) - declared
    seen = request.node.stash.setdefault(_SEEN, [])
    mp = pytest.MonkeyPatch()
    try:
        for service in sorted(undeclared):
            _block(mp, service, kafka_names, seen)
        _guard_sockets(mp, _ports(base_settings, undeclared), seen)
        yield declared
    finally:
        mp.undo()
        if "kafka" in undeclared:
            kafka_names.restore()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item,
                              call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A test that passed although it reached an undeclared service (it caught the error)
    fails all the same."""
    report = yield
    seen = item.stash.get(_SEEN, [])
    if report.when == "call" and report.passed and seen:
        report.outcome, report.longrepr = "failed", seen[0]
    return report


def pytest_configure(config: pytest.Config) -> None:
    for service in SERVICES:
        config.addinivalue_line("markers", f"{service}: needs the real {service} (started for "
                                           "the test; the test fails when it cannot start)")
