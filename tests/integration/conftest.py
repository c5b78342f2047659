"""Integration fixtures: the REAL Kafka and ClickHouse, started (or reused) by infra.

A missing or broken service makes these tests fail — they never skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from streams.settings import Settings


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="session")
def services(base_settings: Settings) -> Settings:
    """Kafka and ClickHouse up on loopback; raises (test error) when they cannot start."""
    from streams.ops import services as infra

    infra.up(base_settings, progress=lambda m: print(f"[infra] {m}"))
    assert infra.kafka_ready(base_settings, 30), "Kafka does not answer metadata requests"
    assert infra.clickhouse_ready(base_settings, 30), "ClickHouse does not answer SELECT 1"
    return base_settings


@pytest.fixture()
def isolated(services: Settings) -> Iterator[Settings]:
    """Settings with unique topics, consumer groups, app id and database for one test."""
    from streams.ops.procs import free_port

    tag = uuid.uuid4().hex[:8]
    settings = services.model_copy(update={
        "topic_prefix": f"t{tag}.",
        "app_id": f"hireview-test-{tag}",
        "sink_group": f"hireview-sink-{tag}",
        "clickhouse_database": f"hireview_test_{tag}",
        "worker_web_port": free_port(),
        "sink_metrics_port": free_port(),
    })
    yield settings
    from streams.clickhouse.db import connect

    client = connect(settings)
    client.execute(f"DROP DATABASE IF EXISTS {settings.clickhouse_database}")


@pytest.fixture(autouse=True)
def no_children_left() -> Iterator[None]:
    """Kill the ``hireview`` children a test started, also when it failed half-way (they would
    keep consuming and slow every later test)."""
    yield
    from streams.ops.procs import Child

    Child.kill_all()
