"""``workhorse batches list|status``: the plugin's CLI commands (no worker starts here)."""

from __future__ import annotations

import json

from batch_jobs import record
from click.testing import CliRunner

from workhorse.cli import main
from workhorse.client import Client
from workhorse_pro.batches import Batch
from workhorse_pro.batches.batch import new_bid


def test_batches_list_and_status_show_progress(redis_url: str, wh_client: Client) -> None:
    with Batch(description="nightly import") as batch:
        for i in range(4):
            record.perform_async(i)
    runner = CliRunner()
    listed = runner.invoke(main, ["batches", "list", "--redis-url", redis_url])
    assert listed.exit_code == 0, listed.output
    assert batch.bid in listed.output and "nightly import" in listed.output
    assert "running" in listed.output
    shown = runner.invoke(main, ["batches", "status", batch.bid, "--redis-url", redis_url])
    assert shown.exit_code == 0, shown.output
    assert "0/4" in shown.output and "pending    4" in shown.output
    as_json = runner.invoke(
        main, ["batches", "status", batch.bid, "--json", "--redis-url", redis_url]
    )
    assert json.loads(as_json.output)["total"] == 4


def test_status_of_an_unknown_batch_is_a_clean_error(redis_url: str) -> None:
    result = CliRunner().invoke(main, ["batches", "status", "nope", "--redis-url", redis_url])
    assert result.exit_code == 3  # not found (docs/cli.md)
    assert "batch nope does not exist" in result.output


def test_bids_never_start_with_a_dash_so_the_cli_takes_them_as_arguments() -> None:
    assert not any(new_bid().startswith("-") for _ in range(5_000))
