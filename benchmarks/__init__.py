"""Speed and scale benchmarks: `python -m benchmarks` (make bench), `python -m benchmarks.load` (many viewers)."""
