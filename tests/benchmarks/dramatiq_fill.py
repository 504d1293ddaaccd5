"""Pre-enqueue N Dramatiq messages (run in the benchmark's Dramatiq venv)."""

import sys

import dramatiq_tasks

count, name = int(sys.argv[1]), sys.argv[2]
actor = getattr(dramatiq_tasks, name)
for _ in range(count):
    actor.send()
