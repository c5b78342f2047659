"""Monthly notices to facilities (docs/fund-pages.md): compose (what a notice says), render
(HTML and PDF, Vietnamese and English), store (``anomalies`` read, ``notices`` kept), run
(``hireview notices``)."""
