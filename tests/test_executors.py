"""Where replications run: a real Dask LocalCluster on loopback gives the same bytes as local
processes; a scheduler that does not answer fails within the timeout."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.errors import InputError
from l2csim.executors import backend
from l2csim.params import write_params
from sim_models import sample_like_model

RUN = ["--replications", "4", "--seed", "5", "--horizon", "60d", "--warmup", "10d"]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_params(sample_like_model(), tmp_path_factory.mktemp("fit") / "model.json")


def test_dask_cluster_gives_byte_identical_kpis(model: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    local = CliRunner().invoke(
        cli, ["simulate", str(model), *RUN, "--jobs", "2", "--out", str(tmp_path / "local")]
    )
    assert local.exit_code == 0, local.output
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        dask = CliRunner().invoke(
            cli,
            ["simulate", str(model), *RUN, "--out", str(tmp_path / "dask")],
            env={"L2CSIM_DASK_SCHEDULER": cluster.scheduler_address},
        )
    assert dask.exit_code == 0, dask.output
    a = (tmp_path / "local" / "kpis.csv").read_bytes()
    assert a == (tmp_path / "dask" / "kpis.csv").read_bytes()


def test_a_scheduler_that_does_not_answer_fails_within_the_timeout() -> None:
    """A socket that accepts connections but never speaks Dask's protocol."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        began = time.monotonic()
        with (
            pytest.raises(InputError, match="no Dask scheduler answered within 2 s"),
            backend(scheduler=address, timeout=2),
        ):
            pass
        assert time.monotonic() - began < 8


def test_cli_reports_an_unreachable_scheduler(model: Path, tmp_path: Path) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again: nothing listens there
    began = time.monotonic()
    result = CliRunner().invoke(
        cli, ["simulate", str(model), *RUN, "--scheduler", f"tcp://127.0.0.1:{port}",
              "--out", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no Dask scheduler answered within 10 s" in result.output
    assert time.monotonic() - began < 20
    assert not (tmp_path / "kpis.csv").exists()
    bad = CliRunner().invoke(cli, ["simulate", str(model), "--scheduler", "localhost:1"])
    assert bad.exit_code == 1 and "tcp://HOST:PORT" in bad.output
