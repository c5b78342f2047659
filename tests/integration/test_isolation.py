"""An isolated test's topics are deleted at teardown: those under its prefix and the Faust
app's own, and no other."""

from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from streams.kafka import create_topics
from streams.settings import Settings
from tests.integration.isolation import delete_topics

pytestmark = pytest.mark.kafka


def test_the_prefix_and_the_app_topics_go_and_nothing_else(isolated: Settings) -> None:
    create_topics(isolated)
    admin = AdminClient({"bootstrap.servers": isolated.bootstrap})
    changelog = f"{isolated.app_id}-history-changelog"
    other = f"{isolated.app_id}x-history-changelog"  # another app id that starts with ours
    for done in admin.create_topics([NewTopic(changelog, 1, 1), NewTopic(other, 1, 1)]).values():
        done.result(30)
    deadline = time.monotonic() + 30  # created on the controller; wait until the broker lists them
    while not {changelog, other} <= set(admin.list_topics(timeout=10).topics):
        assert time.monotonic() < deadline, "created topics never listed"
        time.sleep(0.1)
    try:
        deleted = delete_topics(isolated)
        assert changelog in deleted and other not in deleted
        assert isolated.topic("hi.claims") in deleted
        left = set(admin.list_topics(timeout=10).topics)
        assert not {isolated.topic("hi.claims"), changelog} & left
        assert other in left
    finally:
        admin.delete_topics([other])[other].result(30)
