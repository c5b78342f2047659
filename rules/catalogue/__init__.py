"""The rules, one module per rule, each with its YAML cases next to it (``<code>_<name>.yml``)."""
