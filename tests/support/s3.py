"""A real S3-compatible server for the tests: moto in server mode on 127.0.0.1, a process of the test's own."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests

from tests.support.servers import START_TIMEOUT_SECONDS, free_port, wait_until

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass
class MotoS3:
    folder: Path
    bucket: str = "helpdesk-attachments"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        command = [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(self.port)]
        log = (self.folder / "moto.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._answers, timeout=START_TIMEOUT_SECONDS, what=f"moto on {self.url}")
        self.client().create_bucket(Bucket=self.bucket)
        return self

    def _answers(self) -> bool:
        assert self.process is not None and self.process.poll() is None, "moto_server exited"
        try:
            return requests.get(f"{self.url}/moto-api/", timeout=1).status_code < 500
        except requests.RequestException:
            return False

    def client(self) -> Any:
        return boto3.client(
            "s3", endpoint_url=self.url, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )  # fmt: skip

    def object_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]

    def environment(self) -> dict[str, str]:
        """The settings that put the app's files in this bucket."""
        return {
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_ADDRESSING_STYLE": "path",
        }

    def storage_settings(self) -> dict[str, Any]:
        """The same, as a STORAGES["default"] entry for a test running Django in-process."""
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": self.bucket,
                "endpoint_url": self.url,
                "region_name": REGION,
                "access_key": ACCESS_KEY,
                "secret_key": SECRET_KEY,
                "location": "attachments",
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
            },
        }

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
