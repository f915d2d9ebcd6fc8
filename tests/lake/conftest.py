"""A real S3 server (moto's, on 127.0.0.1) and a fault-injecting proxy in front of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sync.lake.config import LakeConfig

from .factory import T0, record_session  # noqa: F401 - re-exported for the tests
from .s3 import FaultProxy, Faults, all_keys, boto  # noqa: F401 - re-exported for the tests


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every lake test runs with the dummy AWS chain of tests/conftest.py."""


@pytest.fixture
def bucket(moto_url: str) -> str:
    """A fresh bucket per test (moto's state is shared by the whole session)."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    boto(moto_url).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(moto_url: str):  # noqa: ANN201
    return boto(moto_url)


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    p = FaultProxy(moto_url)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def lake_config(moto_url: str, bucket: str) -> LakeConfig:
    return LakeConfig(bucket=bucket, prefix="lake/v1", endpoint_url=moto_url, region="us-east-1")
