"""The reception portal: facilities' HTTP API (``api/``) on the pure envelope parsing of
``intake/``; ``run`` wires it to Kafka, ClickHouse and the workers."""
