"""A workhorse process that uses the embedded server: ``python embedded_child.py ACTION [ARG]``.

Prints one JSON line ({"url", "pid"}) once the server answers, then:
``wait`` blocks until a line arrives on stdin; ``push PAYLOAD`` pushes a job and exits;
``read`` prints the default queue's jobs as JSON and exits.
"""

from __future__ import annotations

import json
import os
import sys

import redis

from workhorse import embedded

url = embedded.ensure_server()
print(json.dumps({"url": url, "pid": os.getpid()}), flush=True)
action = sys.argv[1] if len(sys.argv) > 1 else "wait"
client = redis.Redis.from_url(url, decode_responses=True)
if action == "push":
    client.lpush("queue:default", sys.argv[2])
elif action == "read":
    print(json.dumps(client.lrange("queue:default", 0, -1)), flush=True)
else:
    sys.stdin.readline()
