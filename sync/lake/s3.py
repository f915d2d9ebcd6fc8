"""S3 access through boto3, with every failure turned into a sync.errors type.

boto3 rather than pyarrow's S3FileSystem: its errors carry the HTTP status and S3 error code,
so the outbox can tell "retry later" (5xx, SlowDown, network) from "dead" (bad keys, no such
bucket) by type; it implements the whole AWS credential/config chain (AWS_PROFILE, SSO,
AWS_ENDPOINT_URL[_S3], ...); a single PutObject with Content-MD5 is all-or-nothing. See
docs/lake.md.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from sync.errors import (
    AuthRevoked,
    NetworkError,
    RateLimited,
    Rejected,
    ServerError,
    SyncError,
)

from .config import LakeConfig, load_credentials
from .schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

#: boto3 retries a failed request itself this many times in total before we see the error;
#: the outbox's backoff takes over after that (minutes to hours, across restarts).
SDK_MAX_ATTEMPTS = 3
#: Connecting should be quick on any network that works; a slow upload may take longer.
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
PARQUET_CONTENT_TYPE = "application/vnd.apache.parquet"

_AUTH_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AccessDenied",
    "TokenRefreshRequired",
}
_THROTTLE_CODES = {"SlowDown", "Throttling", "ThrottlingException", "TooManyRequests"}
_RETRY_CODES = {"RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable"}


class NotFound(Rejected):
    """The object or bucket does not exist."""


def classify(exc: BaseException, what: str) -> SyncError:
    """A sync.errors exception for a boto3/botocore failure (messages carry no secrets)."""
    if isinstance(exc, SyncError):
        return exc
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "")) or "Unknown"
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        text = f"{what}: S3 {code} (HTTP {status})"
        if code in _THROTTLE_CODES or status == 429 or (status == 503 and code == "SlowDown"):
            return RateLimited(text)
        if status >= 500 or code in _RETRY_CODES:
            return ServerError(text)
        if code in _AUTH_CODES or status in (401, 403):
            return AuthRevoked(f"{text}: check the S3 credentials and bucket policy")
        if code in {"NoSuchKey", "NoSuchBucket", "404"} or status == 404:
            return NotFound(text)
        return Rejected(text)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AuthRevoked(
            f"{what}: no S3 credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE, or store keys with `pulsedeck lake configure`)"
        )
    if isinstance(exc, (ParamValidationError, ProfileNotFound)):
        return Rejected(f"{what}: invalid S3 settings ({type(exc).__name__}: {exc})")
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return NetworkError(f"{what}: cannot reach the S3 endpoint ({type(exc).__name__})")
    if isinstance(exc, BotoCoreError):
        return NetworkError(f"{what}: {type(exc).__name__}")
    if isinstance(exc, OSError):
        return NetworkError(f"{what}: {type(exc).__name__}")
    return Rejected(f"{what}: {type(exc).__name__}")


def make_boto_client(config: LakeConfig, sdk_attempts: int = SDK_MAX_ATTEMPTS) -> Any:
    """A boto3 S3 client for `config`: keyring keys if configured, else the AWS chain."""
    creds = load_credentials(config.credentials_key)
    session = boto3.session.Session(profile_name=config.profile) if config.profile else None
    session = session or boto3.session.Session()
    kwargs: dict[str, object] = {}
    if creds is not None:
        kwargs.update(
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        )
    boto_config = BotoConfig(
        s3={"addressing_style": "path" if config.use_path_style() else "auto"},
        retries={"mode": "standard", "max_attempts": sdk_attempts},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        # Only compute checksums S3 demands: S3-compatible stores reject unknown headers.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return session.client(
        "s3",
        endpoint_url=config.endpoint_url or None,  # None: boto3 reads AWS_ENDPOINT_URL[_S3]
        region_name=config.region or None,  # None: AWS_REGION / AWS_DEFAULT_REGION / profile
        config=boto_config,
        **kwargs,
    )


class LakeClient:
    """The few S3 operations the lake needs, on one bucket, with classified errors."""

    def __init__(
        self, config: LakeConfig, client: Any | None = None, sdk_attempts: int = SDK_MAX_ATTEMPTS
    ) -> None:
        self.config = config
        self.bucket = config.bucket
        try:
            self._s3 = client if client is not None else make_boto_client(config, sdk_attempts)
        except SyncError:
            raise
        except Exception as exc:  # profile not found, bad region...: configuration problems
            raise classify(exc, "configure S3 client") from None

    def put(self, key: str, data: bytes, content_type: str = PARQUET_CONTENT_TYPE) -> str:
        """Upload one whole object (a single PUT: it exists complete or not at all)."""
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            resp = self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentMD5=md5,
                ContentType=content_type,
                Metadata={"pulsedeck-schema-version": str(SCHEMA_VERSION)},
            )
        except Exception as exc:
            raise classify(exc, f"upload {key}") from None
        return str(resp.get("ETag", "")).strip('"')

    def get(self, key: str) -> bytes:
        try:
            resp = self._s3.get_object(Bucket=self.bucket, Key=key)
            return bytes(resp["Body"].read())
        except Exception as exc:
            raise classify(exc, f"download {key}") from None

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix`."""
        for key, _modified in self.list_objects(prefix):
            yield key

    def list_objects(self, prefix: str) -> Iterator[tuple[str, int]]:
        """Every key under `prefix` with its last-modified time (epoch ms, S3's clock)."""
        token: str | None = None
        while True:
            kwargs: dict[str, object] = {"Bucket": self.bucket, "Prefix": prefix}
            if token:
                kwargs["ContinuationToken"] = token
            try:
                resp = self._s3.list_objects_v2(**kwargs)
            except Exception as exc:
                raise classify(exc, f"list {prefix}") from None
            for obj in resp.get("Contents", []):
                yield obj["Key"], int(obj["LastModified"].timestamp() * 1000)
            if not resp.get("IsTruncated"):
                return
            token = resp.get("NextContinuationToken")

    def list_dirs(self, prefix: str) -> list[str]:
        """The immediate 'subdirectories' (common prefixes) under `prefix`."""
        dirs: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, object] = {"Bucket": self.bucket, "Prefix": prefix, "Delimiter": "/"}
            if token:
                kwargs["ContinuationToken"] = token
            try:
                resp = self._s3.list_objects_v2(**kwargs)
            except Exception as exc:
                raise classify(exc, f"list {prefix}") from None
            dirs.extend(p["Prefix"] for p in resp.get("CommonPrefixes", []))
            if not resp.get("IsTruncated"):
                return dirs
            token = resp.get("NextContinuationToken")

    def delete(self, keys: list[str]) -> int:
        """Delete keys (missing ones are fine); returns how many were asked for."""
        for i in range(0, len(keys), 1000):  # S3's DeleteObjects limit
            chunk = keys[i : i + 1000]
            try:
                resp = self._s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True},
                )
            except Exception as exc:
                raise classify(exc, "delete objects") from None
            errors = resp.get("Errors") or []
            if errors:
                first = errors[0]
                raise Rejected(f"delete {first.get('Key')}: S3 {first.get('Code')}")
        return len(keys)
