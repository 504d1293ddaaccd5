"""The public surface is deliberate: adding or removing a name is a visible change."""

import workhorse


def test_public_names_are_pinned() -> None:
    assert sorted(workhorse.__all__) == [
        "ArgumentError",
        "AsyncIterableJob",
        "Client",
        "ClientMiddleware",
        "ConfigError",
        "CurrentJob",
        "IterableJob",
        "Job",
        "JobCall",
        "JobCancelled",
        "JobContext",
        "JobFailed",
        "JobFields",
        "JobHandle",
        "JobTimeout",
        "PayloadError",
        "PluginLoadError",
        "QueueWeight",
        "RedisUnavailable",
        "ResultTimeout",
        "ServerMiddleware",
        "Settings",
        "UnknownJobError",
        "WorkhorseError",
        "__version__",
        "cancel",
        "configure",
        "current_async_redis",
        "current_job",
        "default_client",
        "hookimpl",
        "job",
        "job_handle",
        "lookup",
        "register",
    ]
    for name in workhorse.__all__:
        assert hasattr(workhorse, name)
