"""The root conftest's promises, checked on a throw-away suite run in a child pytest: an
unmarked test cannot reach Kafka or ClickHouse (even when it swallows the error), and a marked
test gets exactly the services it declares."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

SUITE = '''
import asyncio
import socket

import pytest

started = []


@pytest.fixture(scope="session")
def kafka_service(base_settings):  # stands in for the real start-up
    started.append("kafka")
    return base_settings


@pytest.fixture(scope="session")
def clickhouse_service(base_settings):
    started.append("clickhouse")
    return base_settings


def test_confluent_producer():
    from confluent_kafka import Producer
    Producer({"bootstrap.servers": "127.0.0.1:1"})


def test_admin_client_imported_late():
    from confluent_kafka.admin import AdminClient
    AdminClient({"bootstrap.servers": "127.0.0.1:1"})


def test_swallowed_clickhouse_error(base_settings):
    from clickhouse_driver import Client
    try:
        Client(host="127.0.0.1", port=1).execute("SELECT 1")
    except Exception:
        pass


def test_aiokafka():
    from aiokafka import AIOKafkaProducer

    async def start():
        producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1")
        try:
            await producer.start()
        finally:
            await producer.stop()
    asyncio.run(start())


def test_socket_to_the_clickhouse_port(base_settings):
    socket.create_connection((base_settings.clickhouse_host, base_settings.clickhouse_http_port),
                             timeout=1)


def test_other_sockets_are_free():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()


@pytest.mark.clickhouse
def test_marked_for_clickhouse(declared_services):
    assert started == ["clickhouse"] and declared_services == {"clickhouse"}
    from confluent_kafka import Producer
    Producer({"bootstrap.servers": "127.0.0.1:1"})  # Kafka is still not declared


@pytest.mark.kafka
def test_marked_for_kafka_after_the_guards(declared_services):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient
    assert sorted(started) == ["clickhouse", "kafka"] and declared_services == {"kafka"}
    Producer({"bootstrap.servers": "127.0.0.1:1"})  # the real class again: no connection yet
    AdminClient({"bootstrap.servers": "127.0.0.1:1"})
'''


def test_undeclared_services_are_refused_naming_the_marker(pytester: pytest.Pytester,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # whole reasons in the summary lines
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 2, result.stdout.str()
    assert outcomes.get("failed") == 6, result.stdout.str()
    out = result.stdout.str()
    for test, marker in (("test_confluent_producer", "kafka"),
                         ("test_admin_client_imported_late", "kafka"),
                         ("test_swallowed_clickhouse_error", "clickhouse"),
                         ("test_aiokafka", "kafka"),
                         ("test_socket_to_the_clickhouse_port", "clickhouse"),
                         ("test_marked_for_clickhouse", "kafka")):
        assert f"FAILED test_suite.py::{test}" in out, out
        line = next(s for s in out.splitlines() if f"FAILED test_suite.py::{test}" in s)
        assert f"@pytest.mark.{marker}" in line, line
