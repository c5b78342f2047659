"""Integration fixtures: the REAL Kafka and ClickHouse, started (or reused) by the root
conftest for the services a test's markers declare.

A missing or broken service makes these tests fail — they never skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from streams.settings import Settings
from tests.integration.isolation import delete_topics


@pytest.fixture()
def isolated(base_settings: Settings, declared_services: set[str]) -> Iterator[Settings]:
    """Settings with unique topics, consumer groups, app id and database for one test; its
    topics and database are deleted afterwards."""
    from streams.ops.procs import free_port

    assert declared_services, "isolated: mark the test kafka and/or clickhouse"
    tag = uuid.uuid4().hex[:8]
    settings = base_settings.model_copy(update={
        "topic_prefix": f"t{tag}.",
        "app_id": f"hireview-test-{tag}",
        "sink_group": f"hireview-sink-{tag}",
        "clickhouse_database": f"hireview_test_{tag}",
        "worker_web_port": free_port(),
        "sink_metrics_port": free_port(),
    })
    yield settings
    from streams.ops.procs import Child

    Child.kill_all()  # before the clean-up (this teardown runs before no_children_left's)
    if "kafka" in declared_services:
        delete_topics(settings)
    if "clickhouse" in declared_services:
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
