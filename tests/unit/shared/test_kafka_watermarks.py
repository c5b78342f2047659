"""``streams.kafka.watermarks`` waits out a just-created partition without a leader."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from streams.kafka import watermarks


class Flaky:
    def __init__(self, errors: list[int]) -> None:
        self.errors, self.calls = list(errors), 0

    def get_watermark_offsets(self, tp: TopicPartition, timeout: float) -> tuple[int, int]:
        self.calls += 1
        if self.errors:
            raise KafkaException(KafkaError(self.errors.pop(0)))
        return 0, 42


def test_no_leader_yet_is_retried() -> None:
    flaky: Any = Flaky([KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE])
    assert watermarks(flaky, TopicPartition("t", 0)) == (0, 42)
    assert flaky.calls == 3


def test_other_errors_and_the_deadline_are_raised() -> None:
    denied: Any = Flaky([KafkaError.TOPIC_AUTHORIZATION_FAILED])
    with pytest.raises(KafkaException):
        watermarks(denied, TopicPartition("t", 0))
    stuck: Any = Flaky([KafkaError.NOT_LEADER_FOR_PARTITION] * 100)
    with pytest.raises(KafkaException):
        watermarks(stuck, TopicPartition("t", 0), timeout=0.3)
    assert 1 < stuck.calls < 100
