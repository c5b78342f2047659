"""Fund-use monitoring, detection half: the facility register, the per-facility and
per-province daily analytics in ClickHouse, and the anomaly detector (docs/fund-monitoring.md).

Pure pieces (``charts``, ``baseline``, ``peers``, ``detector``, ``explain``) take numpy arrays
and return values; ``store`` and ``run`` are the thin ClickHouse/Kafka layer around them.
"""
