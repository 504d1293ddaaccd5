"""Start a real local Redis Cluster (3 masters) or a Sentinel group for the scale-out tests."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import redis

from support import redis_server
from workhorse.config import Settings


def _wait(predicate: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _cluster_port() -> int:
    while True:
        port = redis_server.free_port(below=55536)
        if redis_server.port_is_free(port + 10000):
            return port


@dataclass
class Cluster:
    nodes: list[redis_server.RedisServer]
    directory: str

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def fast_settings(cluster: Cluster, prefix: str, **changes: object) -> Settings:
    """Worker settings for ``cluster`` with short timeouts, so tests turn around quickly."""
    return Settings(
        redis_url=cluster.url,
        prefix=prefix,
        fetch_timeout=1.0,
        shutdown_timeout=2.0,
        heartbeat_interval=0.5,
        poll_interval=0.1,
        **changes,  # type: ignore[arg-type]
    )


def start_cluster(masters: int = 3) -> Cluster:
    base = tempfile.mkdtemp(prefix="wh-cluster-")
    nodes = [
        redis_server.start(
            [
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "2000",
            ],
            databases=1,
            directory=f"{base}/n{i}",
            port=_cluster_port(),
        )
        for i in range(masters)
    ]
    cli = shutil.which("redis-cli") or "redis-cli"
    subprocess.run(
        [
            cli,
            "--cluster",
            "create",
            *[f"127.0.0.1:{n.port}" for n in nodes],
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    probe = redis.Redis(port=nodes[0].port)
    _wait(lambda: probe.cluster("info").get("cluster_state") == "ok", "cluster state ok")
    return Cluster(nodes, base)


@dataclass
class SentinelGroup:
    primary: redis_server.RedisServer
    replica: redis_server.RedisServer
    sentinels: list[subprocess.Popen[bytes]] = field(default_factory=list)
    sentinel_ports: list[int] = field(default_factory=list)
    directory: str = ""
    service: str = "whmaster"

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{self.service}/0"

    def sentinel(self) -> redis.Redis:
        return redis.Redis(port=self.sentinel_ports[0], decode_responses=True)

    def stop(self) -> None:
        for proc in self.sentinels:
            proc.terminate()
            proc.wait(10)
        self.primary.stop()
        self.replica.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_sentinels(count: int = 3) -> SentinelGroup:
    base = tempfile.mkdtemp(prefix="wh-sentinel-")
    primary = redis_server.start(databases=16, directory=f"{base}/primary")
    replica = redis_server.start(
        ["--replicaof", "127.0.0.1", str(primary.port)], databases=16, directory=f"{base}/replica"
    )
    group = SentinelGroup(primary, replica, directory=base)
    binary = redis_server.find_server_binary()
    for i in range(count):
        port = redis_server.free_port()
        conf = f"{base}/sentinel{i}.conf"
        with open(conf, "w") as fh:
            fh.write(
                f"port {port}\nbind 127.0.0.1\ndir {base}\n"
                f"sentinel monitor {group.service} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {group.service} 1000\n"
                f"sentinel failover-timeout {group.service} 5000\n"
                f"sentinel parallel-syncs {group.service} 1\n"
            )
        group.sentinels.append(redis_server.spawn([binary, conf, "--sentinel"]))
        group.sentinel_ports.append(port)
    s = redis.Redis(port=group.sentinel_ports[0], decode_responses=True)
    _wait(
        lambda: _sentinel_ready(s, group.service, count),
        "sentinels to see each other and the replica",
    )
    return group


def _sentinel_ready(s: redis.Redis, service: str, count: int) -> bool:
    try:
        master = s.sentinel_master(service)
    except redis.RedisError:
        return False
    return (
        int(master.get("num-other-sentinels", 0)) >= count - 1
        and int(master.get("num-slaves", 0)) >= 1
    )
