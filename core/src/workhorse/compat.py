"""What differs between the Sidekiq generations that can share a Redis with workhorse.

One setting (``--sidekiq-compat 6|7|8``) names the oldest Ruby Sidekiq reading
the same Redis; everything workhorse writes differently for it is decided here.
Reading never depends on it: workhorse reads every generation's forms.
Checked against Sidekiq's public source (launcher.rb, processor.rb, api.rb of
6.4.1, 7.0.0, 7.3.10, 8.0.0 and 8.1.7); see docs/sidekiq-compat.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TimestampFormat = Literal["ms", "float"]
RunningJobsKey = Literal["work", "workers"]
SUPPORTED = (6, 7, 8)
DEFAULT = 8


@dataclass(frozen=True, slots=True)
class Generation:
    """The wire differences of one Sidekiq major version."""

    number: int
    # Job times (created_at, enqueued_at, failed_at, retried_at): Sidekiq <= 7
    # reads float epoch seconds only; 8 writes int epoch ms and reads both.
    timestamps: TimestampFormat
    # The hash of a process's running jobs: ``<identity>:workers`` in 6.x,
    # ``<identity>:work`` from 7.0. Each version reads only its own name.
    running_jobs_key: RunningJobsKey


GENERATIONS = {
    6: Generation(6, timestamps="float", running_jobs_key="workers"),
    7: Generation(7, timestamps="float", running_jobs_key="work"),
    8: Generation(8, timestamps="ms", running_jobs_key="work"),
}
