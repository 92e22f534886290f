"""Serving defaults: loopback unless a token (or --insecure) says otherwise; the `serve` command."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app import ExposureError, ServeOptions
from app.cli.main import main
from app.serve import check_exposure, is_loopback
from tests.fake_service import make_service


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("10.0.0.5", False), ("myhost", False)],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_exposure_needs_a_token_or_insecure(tmp_path: Path):
    svc, _ = make_service(tmp_path, ingest=False)
    check_exposure(ServeOptions(), svc)
    with pytest.raises(ExposureError, match="GUARDED_RAG_API_TOKEN"):
        check_exposure(ServeOptions(host="0.0.0.0"), svc)
    check_exposure(ServeOptions(host="0.0.0.0", insecure=True), svc)
    token, _ = make_service(tmp_path / "t", ingest=False, api_token="s3cret")
    check_exposure(ServeOptions(host="0.0.0.0"), token)


def test_serve_command_refuses_to_expose_without_a_token(tmp_path: Path, capsys):
    svc, _ = make_service(tmp_path, ingest=False)
    code = main(["serve", "--host", "0.0.0.0", "--port", "0"], io.StringIO(), build=lambda _s: svc)
    assert code == 2 and "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    code = main(["serve", "--port", "99999"], io.StringIO(), build=lambda _s: svc)
    assert code == 2
