"""Speed, memory and accuracy benchmarks; each module runs with ``python -m benchmarks.NAME``."""
