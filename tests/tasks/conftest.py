"""One tiny trained checkpoint shared by every task test (training it is the slow part)."""

import pytest

from helpers import tiny_settings


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    from inrv_jax.train.loop import train_and_evaluate

    path = tmp_path_factory.mktemp("tiny_run")
    train_and_evaluate(tiny_settings(**{"train.steps": 30}), path)
    return path


@pytest.fixture(scope="session")
def trained(workdir):
    from inrv_jax.checkpoint import load_trained

    return load_trained(workdir)
