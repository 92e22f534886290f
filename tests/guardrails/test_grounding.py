"""GroundingGuardrail: overlap with the cited passages, and every number and quoted term found there."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext
from guardrails.grounding import GroundingGuardrail

EN = Chunk(
    chunk_id="a",
    source="ollama-install.md",
    label="S1",
    score=0.8,
    text="The Ollama server listens on port 11434. By default it binds only to the loopback address "
    "`127.0.0.1:11434`. Set OLLAMA_HOST to change the listen address.",
)
ZH = Chunk(
    chunk_id="b",
    source="ollama-api-zh.md",
    label="S2",
    score=0.7,
    text="Ollama 默认监听 11434 端口。temperature 默认为 0.8，num_ctx 默认为 2048。设置环境变量 OLLAMA_HOST 可以修改监听地址。",
)
OTHER = Chunk(chunk_id="c", source="quantization-guide.md", label="S3", score=0.5, text="Q4_K_M needs about 8 GB.")


def check(answer: str | None, citations: tuple[str, ...] = ("S1",), **params: object):
    ctx = GuardContext(question="q", chunks=(EN, ZH, OTHER), answer=answer, citations=citations)
    return GroundingGuardrail(**params).check(ctx)


@pytest.mark.parametrize(
    ("answer", "citations"),
    [
        ("The Ollama server listens on port 11434 [S1].", ("S1",)),
        ("By default Ollama binds to the loopback address `127.0.0.1:11434`.", ("S1",)),
        ("Set OLLAMA_HOST to change the listen address [S1].", ("S1",)),
        ("Ollama 默认监听 11434 端口 [S2]。", ("S2",)),
        ("temperature 默认为 0.80，num_ctx 默认为 2,048。", ("S2",)),
        ("设置 OLLAMA_HOST 环境变量可以修改监听地址【S2】。", ("S2",)),
        ("11434", ("S1",)),  # short answer with a supported number
        ("Port 11434.", ("S1",)),
        ("1. The server listens on port 11434.\n2. Set OLLAMA_HOST to change the address.", ("S1",)),
        ("Q4_K_M needs about 8 GB [S3].", ()),  # no citations: all chunks are the support
    ],
)
def test_supported_answers_pass(answer: str, citations: tuple[str, ...]) -> None:
    verdict = check(answer, citations)
    assert not verdict.fired, verdict.reason
    assert verdict.action == "pass"


@pytest.mark.parametrize(
    ("answer", "citations", "numbers", "terms"),
    [
        ("The Ollama server listens on port 8080 [S1].", ("S1",), ["8080"], []),
        ("Ollama 默认监听 8080 端口。", ("S2",), ["8080"], []),
        ("temperature 默认为 0.7。", ("S2",), ["0.7"], []),
        ("Set `OLLAMA_ORIGINS` to change the listen address.", ("S1",), [], ["OLLAMA_ORIGINS"]),
        ("设置“OLLAMA_MODELS”可以修改监听地址。", ("S2",), [], ["OLLAMA_MODELS"]),
        ("8080", ("S1",), ["8080"], []),  # short, but the number is not supported
        ("Q4_K_M needs about 8 GB.", ("S1",), ["8"], []),  # supported by S3, but S3 was not cited
    ],
)
def test_unsupported_numbers_and_terms(answer: str, citations: tuple[str, ...], numbers: list, terms: list) -> None:
    verdict = check(answer, citations)
    assert verdict.fired
    assert verdict.action == "reask"
    assert verdict.details["unsupported_numbers"] == numbers
    assert verdict.details["unsupported_terms"] == terms


@pytest.mark.parametrize(
    "answer",
    [
        "Bananas are a yellow tropical fruit rich in potassium.",
        "香蕉是一种富含钾的热带水果，颜色是黄色的。",
    ],
)
def test_low_overlap_fires(answer: str) -> None:
    verdict = check(answer, ("S1",))
    assert verdict.fired
    assert verdict.score is not None and verdict.score < 0.5
    assert verdict.threshold == 0.5
    assert verdict.details["overlap"] == verdict.score


def test_min_overlap_parameter() -> None:
    answer = "The server listens on port 11434 and also supports many other exotic protocols."
    assert check(answer).fired
    assert not check(answer, min_overlap=0.3).fired


def test_checks_can_be_switched_off() -> None:
    assert not check("Port 8080.", check_numbers=False).fired
    assert not check("The server listens on `foo_bar` port 11434.", check_terms=False, check_identifiers=False).fired
    assert check("The server listens on `foo_bar` port 11434.", check_terms=False).fired  # foo_bar: an identifier
    assert check("The server listens on `foo_bar` port 11434.").fired


@pytest.mark.parametrize("answer", [None, "", "   "])
def test_no_answer_passes(answer: str | None) -> None:
    assert not check(answer).fired


@pytest.mark.parametrize("answer", ["True", "...", "<short answer in the language of the question>", "是的"])
def test_answer_sharing_nothing_with_the_passages_fires_however_short(answer):
    chunk = Chunk(chunk_id="c1", source="a.md", text="Ollama listens on port 11434 by default.", score=0.9, label="S1")
    verdict = GroundingGuardrail().check(GuardContext(question="Which port?", chunks=(chunk,), answer=answer, citations=("S1",)))
    assert verdict.fired and verdict.action == "reask"


def test_short_answer_with_a_supported_number_passes():
    chunk = Chunk(chunk_id="c1", source="a.md", text="Ollama listens on port 11434 by default.", score=0.9, label="S1")
    verdict = GroundingGuardrail().check(GuardContext(question="Which port?", chunks=(chunk,), answer="11434", citations=("S1",)))
    assert not verdict.fired


@pytest.mark.parametrize(
    ("passage", "answer", "supported"),
    [
        # Seen on the embedded model: "1" for a passage saying 14 days passed, found inside "14".
        ("备份服务器每天凌晨 3 点运行，保留 14 天。", "1", False),
        ("备份服务器每天凌晨 3 点运行，保留 14 天。", "14", True),
        ("It binds to `127.0.0.1:11434` by default.", "1", False),
        ("It binds to `127.0.0.1:11434` by default.", "11434", True),
        ("Pull qwen2.5:3b first.", "5", False),
        # A number written inside a name, where numbers() sees none on its own, still counts as a whole.
        ("Pull qwen2.5:3b first.", "3", True),
        # A decimal at the start of the answer is a number, not list numbering ("2." + "5").
        ("Pull qwen2.5:3b first.", "2.5", True),
        ("A 7B model in Q4_K_M needs about 4.5 GB.", "4.5 GB", True),
        ("A 7B model in Q4_K_M needs about 4.5 GB.", "4.6 GB", False),
    ],
)
def test_a_number_counts_only_as_a_whole_number_of_the_passage(passage: str, answer: str, supported: bool) -> None:
    chunk = Chunk(chunk_id="c1", source="a.md", text=passage, score=0.9, label="S1")
    verdict = GroundingGuardrail().check(GuardContext(question="How many?", chunks=(chunk,), answer=answer, citations=("S1",)))
    assert verdict.details["unsupported_numbers"] == ([] if supported else [answer.split()[0]])
    assert verdict.fired is not supported


@pytest.mark.parametrize(
    ("passage", "answer", "unsupported"),
    [
        # A name that is only the start of the passage's name is another name (a real model error: OLLAMA_MODEL).
        ("Move the model store to a bigger disk with OLLAMA_MODELS.", "Set OLLAMA_MODEL to the new folder.", ["OLLAMA_MODEL"]),
        ("内存紧张时把 OLLAMA_MAX_LOADED_MODELS 设为 1。", "内存紧张时把 OLLAMA_MAX_LOADED 设为 1。", ["OLLAMA_MAX_LOADED"]),
        ("Pull qwen2.5:3b first.", "Pull qwen2.5:3 first.", ["qwen2.5:3"]),
        # Whole names still count wherever they stand: against Chinese text, inside a URL, before a tag.
        ("如需更换目录，设置OLLAMA_MODELS环境变量并重启服务。", "设置 OLLAMA_MODELS 环境变量并重启服务。", []),
        ("Run curl http://localhost:11434/api/chat -d '{}' to test it.", "Run a request to /api/chat to test it.", []),
        ("Pull qwen2.5:3b first.", "Pull qwen2.5 first.", []),
    ],
)
def test_a_name_counts_only_as_a_whole_name_of_the_passage(passage: str, answer: str, unsupported: list[str]) -> None:
    chunk = Chunk(chunk_id="c1", source="a.md", text=passage, score=0.9, label="S1")
    verdict = GroundingGuardrail().check(GuardContext(question="How?", chunks=(chunk,), answer=answer, citations=("S1",)))
    assert verdict.details["unsupported_identifiers"] == unsupported
