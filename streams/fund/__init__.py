"""Fund-use monitoring: the facility register, the per-facility and per-province daily
analytics in ClickHouse, the anomaly detector (docs/fund-monitoring.md) and the monthly
notices to facilities (``notices/``, docs/fund-pages.md).

The detector's pure pieces (``charts``, ``baseline``, ``lenses``, ``peers``, ``detector``,
``explain``) take numpy arrays and return values; ``refresh``, ``store`` and ``run`` are the
thin ClickHouse/Kafka layer around them.
"""
