"""The coach's desk against a real S3 server (moto on 127.0.0.1), as tests/lake does."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _aws_env(aws_env: None) -> None:
    """Every coach test runs with the dummy AWS chain of tests/conftest.py."""


@pytest.fixture
def s3(moto_url: str):  # noqa: ANN201
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def lake(moto_url: str, s3) -> list[str]:  # noqa: ANN001
    """Destination flags of a fresh bucket."""
    name = f"coach-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return ["--bucket", name, "--prefix", "p", "--endpoint-url", moto_url, "--region", "us-east-1"]
