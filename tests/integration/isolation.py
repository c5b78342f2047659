"""Clean-up of what one isolated test created on the shared Kafka."""

from __future__ import annotations

from streams.settings import Settings


def delete_topics(settings: Settings) -> list[str]:
    """The test's topics: its prefix, and the Faust app's own (``<app_id>-…-changelog``)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": settings.bootstrap})
    names = [n for n in admin.list_topics(timeout=30).topics
             if n.startswith((settings.topic_prefix, f"{settings.app_id}-"))]
    if names:
        for done in admin.delete_topics(names, operation_timeout=30).values():
            done.result(60)  # a topic that cannot be deleted fails this test's teardown
    return names
