"""The public surface is deliberate: adding or removing a name is a visible change."""

import workhorse


def test_public_names_are_pinned() -> None:
    assert sorted(workhorse.__all__) == [
        "ArgumentError",
        "Client",
        "ClientMiddleware",
        "ConfigError",
        "Job",
        "JobCall",
        "JobContext",
        "JobFields",
        "PayloadError",
        "PluginLoadError",
        "QueueWeight",
        "RedisUnavailable",
        "ServerMiddleware",
        "Settings",
        "UnknownJobError",
        "WorkhorseError",
        "__version__",
        "configure",
        "current_job",
        "default_client",
        "hookimpl",
        "job",
        "lookup",
        "register",
    ]
    for name in workhorse.__all__:
        assert hasattr(workhorse, name)
