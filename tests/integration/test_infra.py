"""streams.ops.services against the real services: up/status/idempotency, plus pid and port guards.

Uses the settings' own ports (the shared local Kafka and ClickHouse); nothing here stops them.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from clickhouse_driver import Client
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from streams.ops import prometheus as prom
from streams.ops import services as infra
from streams.settings import Settings

pytestmark = [pytest.mark.kafka, pytest.mark.clickhouse]

RUNNING = re.compile(r"running pid (\d+) on (\S+):(\d+)$")


@pytest.fixture(scope="module")
def running(base_settings: Settings) -> Settings:
    infra.up(base_settings, progress=lambda m: print(f"[infra] {m}"))
    return base_settings


def _pids(settings: Settings) -> dict[str, int]:
    pids = {}
    for service, state in infra.status(settings).items():
        match = RUNNING.match(state)
        assert match, f"{service}: {state}"
        pids[service] = int(match.group(1))
    return pids


def test_status_reports_every_service_on_its_port(running: Settings) -> None:
    report = infra.status(running)
    assert set(report) == {"kafka", "clickhouse", "prometheus"}
    ports = {"kafka": running.kafka_port, "clickhouse": running.clickhouse_port,
             "prometheus": running.prometheus_port}
    for service, state in report.items():
        match = RUNNING.match(state)
        assert match, f"{service}: {state}"
        assert int(match.group(3)) == ports[service]
        assert Path(f"/proc/{match.group(1)}").exists()


def test_ready_helpers_answer(running: Settings) -> None:
    assert infra.kafka_ready(running, 10)
    assert infra.clickhouse_ready(running, 10)
    assert prom.ready(running, 10)


def test_prometheus_config_passes_promtool(running: Settings) -> None:
    out = prom.check_config(running)
    assert "SUCCESS" in out and "rules found" in out, out


def test_topic_can_be_created_and_listed(running: Settings) -> None:
    admin = AdminClient({"bootstrap.servers": running.bootstrap})
    name = f"infra-test-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])[name].result(30)
    try:
        meta = admin.list_topics(timeout=10)
        assert name in meta.topics
        assert len(meta.topics[name].partitions) == 2
    finally:
        admin.delete_topics([name])[name].result(30)


def test_clickhouse_is_18_or_newer(running: Settings) -> None:
    client = Client(host=running.clickhouse_host, port=running.clickhouse_port)
    try:
        (version,), = client.execute("SELECT version()")
    finally:
        client.disconnect()
    assert int(str(version).split(".")[0]) >= 18


def test_second_up_is_a_no_op(running: Settings) -> None:
    before = _pids(running)
    messages: list[str] = []
    infra.up(running, progress=messages.append)
    assert _pids(running) == before
    assert len(messages) == 3, messages
    assert all("already running" in m for m in messages), messages


def test_stale_pid_files_are_dropped(tmp_path: Path, running: Settings) -> None:
    # A live process that is not ours (this pytest) and garbage: neither counts as running.
    settings = running.model_copy(update={"state_dir": tmp_path, "kafka_port": 1,
                                          "clickhouse_port": 1, "prometheus_port": 1})
    for service, content in (("kafka", str(os.getpid())), ("clickhouse", "not-a-pid")):
        (tmp_path / service).mkdir()
        (tmp_path / service / f"{service}.pid").write_text(content)
    assert infra.status(settings) == {"kafka": "stopped", "clickhouse": "stopped",
                                      "prometheus": "stopped"}
    assert not list(tmp_path.glob("*/*.pid"))
    infra.down(settings)  # nothing recorded: must not touch anything
    assert _pids(running)


def test_port_held_by_another_process_is_refused(tmp_path: Path, running: Settings) -> None:
    other = running.model_copy(update={"state_dir": tmp_path})
    with pytest.raises(infra.InfraError, match="kafka_port"):
        infra.up(other, progress=lambda m: None)
    assert infra.status(other)["kafka"].startswith("stopped (")


def test_equal_ports_are_refused(tmp_path: Path, base_settings: Settings) -> None:
    settings = base_settings.model_copy(update={"state_dir": tmp_path, "kafka_port": 45001,
                                                "kafka_controller_port": 45001})
    with pytest.raises(infra.InfraError, match="kafka_controller_port"):
        infra.up(settings, progress=lambda m: None)
