"""Fund-use monitoring (docs/fund-pages.md): facility analytics, the anomaly detector and the
monthly notices to facilities (``notices/``)."""
