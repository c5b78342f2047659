"""Kafka 4.x in KRaft mode from Maven Central jars: fetch the jars, format the log dir, start the
broker and wait until it answers (used by streams/ops/services.py)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from streams.ops.service_base import (
    KAFKA,
    InfraError,
    Progress,
    _config,
    _dir,
    _port_open,
    _render,
    _spawn,
)
from streams.settings import Settings


def _kafka_jars(settings: Settings, progress: Progress) -> Path:
    """The broker's classpath dir, fetched by Maven once per pom version (hash marker)."""
    pom = settings.infra_dir / "kafka" / "pom.xml"
    lib = _dir(settings, KAFKA) / "lib"
    marker = lib / ".pom-sha256"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()
    if marker.is_file() and marker.read_text().strip() == digest:
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError("Maven (mvn) is not installed: apt-get install -y maven")
    progress("fetching Kafka jars with Maven (first run only)...")
    started = time.monotonic()
    tmp = lib.with_name("lib.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
           "-DincludeScope=runtime", f"-DoutputDirectory={tmp}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise InfraError(f"Maven could not fetch the Kafka jars ({' '.join(cmd)}):\n"
                         f"{(done.stdout + done.stderr)[-4000:]}")
    shutil.rmtree(lib, ignore_errors=True)
    tmp.rename(lib)
    marker.write_text(digest + "\n")
    jars = list(lib.glob("*.jar"))
    size_mb = sum(j.stat().st_size for j in jars) / 2**20
    progress(f"fetched {len(jars)} Kafka jars ({size_mb:.0f} MiB) in "
             f"{time.monotonic() - started:.1f}s")
    return lib


def _java_cmd(settings: Settings, lib: Path) -> list[str]:
    if settings.kafka_heap_mb < 256:
        raise InfraError(f"kafka_heap_mb: {settings.kafka_heap_mb} is below the 256 MiB minimum")
    java = shutil.which("java")
    if java is None:
        raise InfraError("Java is not installed: apt-get install -y openjdk-17-jre-headless")
    log4j = settings.infra_dir / "kafka" / "log4j2.properties"
    return [java, "-Xms256m", f"-Xmx{settings.kafka_heap_mb}m", "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j.resolve().as_uri()}",
            "-cp", f"{lib}/*"]  # one argv item: the JVM, not a shell, expands lib/*


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, base64url without padding, not starting with '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _start_kafka(settings: Settings, progress: Progress) -> subprocess.Popen[bytes]:
    home = _dir(settings, KAFKA)
    data = home / "data"
    data.mkdir(parents=True, exist_ok=True)
    lib = _kafka_jars(settings, progress)
    props = _config(settings, KAFKA)
    _render(settings.infra_dir / "kafka" / "server.properties.in", props, {
        "host": settings.kafka_host, "port": settings.kafka_port,
        "controller_port": settings.kafka_controller_port, "data_dir": data,
        "partitions": settings.partitions,
    })
    java = _java_cmd(settings, lib)
    if not (data / "meta.properties").exists():
        progress("formatting Kafka storage (first run only)...")
        fmt = java + ["kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props),
                      "--ignore-formatted"]
        done = subprocess.run(fmt, capture_output=True, text=True, timeout=180, check=False)
        if done.returncode != 0:
            raise InfraError(f"Kafka storage format failed:\n{(done.stdout + done.stderr)[-4000:]}")
    progress(f"starting Kafka on {settings.bootstrap}...")
    return _spawn(settings, KAFKA, java + ["kafka.Kafka", str(props)])


def kafka_ready(settings: Settings, timeout: float) -> bool:
    """True when the broker answers a metadata request within ``timeout`` seconds."""
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + timeout
    while not _port_open(settings.kafka_host, settings.kafka_port):  # keeps librdkafka quiet
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)
    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    while True:
        try:
            if admin.list_topics(timeout=max(0.5, min(2.0, deadline - time.monotonic()))).brokers:
                return True
        except Exception:  # KafkaException while the broker is still registering
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


# --- ClickHouse -------------------------------------------------------------------------------

