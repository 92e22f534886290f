"""Numbers across languages (guardrails/cross_numbers.py, through the grounding guardrail): an answer clause in one
language that gives another number than the passage clause in the other language that the similarity signal
aligned it with, while the number check passes (the answer's number is elsewhere in the passage). Both directions,
and the restatements that must pass: the same numbers, a range, a sign the signal stripped, list marks, addresses,
a claim restating another clause of the sentence or, with several numbers, of the passage. The aligned pairs are
given as the signal would pass them (no model). Passages are data/docs text; answers are written for these tests or
are tune-split items of data/eval/grounding3.jsonl (g3x011, g3x012; never report-split)."""

from __future__ import annotations

import pytest

from guardrails import PolicyError, build_guardrails, load_policy, load_policy_dict
from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.cross_numbers import read_quantities
from guardrails.crosslingual import ALIGNED_KEY
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail

HW_ZH = (
    "Ollama 官方给出的经验值是：运行 7B 模型至少需要 8 GB 内存，13B 模型需要 16 GB，30B 以上（如 33B）的模型需要 32 GB "
    "或更多。这些数字针对的是默认的 4 位量化（Q4 级别）版本。70B 模型即使是 Q4 量化，权重也有约 40 GB，通常需要 64 GB "
    "内存或大显存的多卡环境。\n- **NVIDIA**：需要计算能力 5.0 及以上的显卡和较新的驱动，安装脚本会自动启用 CUDA；\n"
    "例如 12 GB 显存可以完整容纳 7B/8B 的 Q4 模型。"
)
HW_SENTENCE = (
    "Ollama 官方给出的经验值是：运行 7B 模型至少需要 8 GB 内存，13B 模型需要 16 GB，30B 以上（如 33B）的模型需要 32 GB 或更多"
)
API_ZH = (
    "- **HTTP 404**：请求的模型没有安装，错误信息提示先 pull；\n- **HTTP 400**：请求参数有误，例如 JSON 格式不对；\n"
    "- **HTTP 500**：服务端内部错误，例如加载模型时内存不足。"
)
KEEP_EN = "`OLLAMA_KEEP_ALIVE` sets how long an idle model stays in memory: 5 minutes by default."
RAM_EN = "On a machine with 8 GB of RAM, Q4_K_M is the right choice for a 7B model. It needs about 5 GB. Keep 6 GB free."
PREDICT_EN = "`num_predict` -1 means no fixed limit: generation runs until a stop condition or a full context."
TOPK_ZH = "`top-k` 通常取 3–5：太小容易漏掉答案，太大会挤占上下文。"
DOCKER_ZH = "容器内服务同样监听 11434 端口，设置为 `0.0.0.0:11434` 即可监听所有网卡。"


def _check(answer: str, passage: str, pairs: list[tuple[str, str, str, float]], **params: object) -> Verdict:
    """The guardrail (shipped settings with the check on, unless `params`) on `answer` citing `passage`, with the
    signal's aligned (answer clause, passage clause, its sentence, similarity) pairs."""
    aligned = [{"claim": a, "clause": c, "sentence": s, "similarity": x} for a, c, s, x in pairs]
    signal = Signal(name=SIMILARITY_SIGNAL, score=0.6, details={"sentences": 1, ALIGNED_KEY: aligned})
    chunk = Chunk(chunk_id="c1", source="doc.md", text=passage, score=1.0, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals={SIMILARITY_SIGNAL: signal})
    return GroundingGuardrail(**({"check_cross_numbers": True} | params)).check(ctx)  # type: ignore[arg-type]


def _numbers(verdict: Verdict) -> list[list[str]]:
    found = verdict.details["contradictions"]
    assert isinstance(found, list)
    return [c["terms"] for c in found if c["kind"] == "number"]


CHANGED = [
    pytest.param(
        "A 13B model needs 8 GB of RAM.",
        HW_ZH,
        [("A 13B model needs 8 GB of RAM.", "13B 模型需要 16 GB", HW_SENTENCE, 0.72)],
        ["8 GB", "16 GB"],
        id="en-answer-13B-given-the-7B-memory",
    ),
    pytest.param(
        "You need an NVIDIA card with compute capability 7.0 or higher and a recent driver.",
        HW_ZH,
        [
            (
                "You need an NVIDIA card with compute capability 7.0 or higher and a recent driver",
                "NVIDIA**：需要计算能力 5.0 及以上的显卡和较新的驱动",
                "NVIDIA**：需要计算能力 5.0 及以上的显卡和较新的驱动，安装脚本会自动启用 CUDA",
                0.74,
            )
        ],
        ["7", "5"],
        id="en-answer-g3x011-compute-capability",
    ),
    pytest.param(
        "You get HTTP 500, and the fix is to run ollama pull.",
        API_ZH,
        [("You get HTTP 500", "HTTP 400**：请求参数有误", "HTTP 400**：请求参数有误", 0.539)],
        ["500", "400"],
        id="en-answer-g3x012-another-status",
    ),
    pytest.param(
        "空闲模型默认保留 5 分钟。",
        "`OLLAMA_KEEP_ALIVE` sets how long an idle model stays in memory. Tests use 5 minutes. 10 minutes by default.",
        [("空闲模型默认保留 5 分钟", "10 minutes by default", "10 minutes by default", 0.61)],
        ["5 min", "10 min"],
        id="zh-answer-another-time",
    ),
    pytest.param(
        "8 GB 的机器应该选 Q4_K_M，7B 模型大约需要 6 GB。",
        RAM_EN,
        [
            (
                "8 GB 的机器应该选 Q4_K_M",
                "On a machine with 8 GB of RAM",
                "On a machine with 8 GB of RAM, Q4_K_M is the right choice for a 7B model",
                0.62,
            ),
            ("7B 模型大约需要 6 GB", "It needs about 5 GB", "It needs about 5 GB", 0.58),
        ],
        ["6 GB", "5 GB"],
        id="zh-answer-another-size",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs", "terms"), CHANGED)
def test_another_number_than_the_aligned_clause_is_rejected(
    answer: str, passage: str, pairs: list[tuple[str, str, str, float]], terms: list[str]
) -> None:
    verdict = _check(answer, passage, pairs)
    assert verdict.fired and _numbers(verdict) == [terms]
    assert "gives another number than" in verdict.reason
    assert not _check(answer, passage, pairs, check_cross_numbers=False).fired


RESTATED = [
    pytest.param(
        "A 13B model needs 16 GB of RAM.",
        HW_ZH,
        [("A 13B model needs 16 GB of RAM.", "13B 模型需要 16 GB", HW_SENTENCE, 0.72)],
        id="same-numbers",
    ),
    pytest.param(
        "At least 8 GB for 7B.",
        HW_ZH,
        [
            (
                "At least 8 GB for 7B.",
                "通常需要 64 GB 内存或大显存的多卡环境",
                "70B 模型即使是 Q4 量化，权重也有约 40 GB，通常需要 64 GB 内存或大显存的多卡环境",
                0.5,
            )
        ],
        id="several-numbers-given-by-another-passage-clause",
    ),
    pytest.param(
        "A 7B model needs 8 GB.",
        HW_ZH,
        [("A 7B model needs 8 GB.", "13B 模型需要 16 GB", HW_SENTENCE, 0.6)],
        id="another-clause-of-the-sentence",
    ),
    pytest.param(
        "-1 表示没有固定的生成上限。",
        PREDICT_EN,
        [("-1 表示没有固定的生成上限", "1 means no fixed limit:", "1 means no fixed limit:", 0.535)],
        id="sign-stripped-by-the-signal",
    ),
    pytest.param(
        "Usually 4: too few misses answers.",
        TOPK_ZH,
        [("Usually 4:", "top-k` 通常取 3–5：太小容易漏掉答案", "top-k` 通常取 3–5：太小容易漏掉答案", 0.45)],
        id="inside-a-range",
    ),
    pytest.param(
        "空闲模型默认保留 5 分钟。",
        KEEP_EN,
        [("空闲模型默认保留 5 分钟", "5 minutes by default", "5 minutes by default", 0.6)],
        id="same-time-other-language",
    ),
    pytest.param(
        "The server listens on 0.0.0.0:11434 inside the container.",
        DOCKER_ZH,
        [
            (
                "The server listens on 0.0.0.0:11434 inside the container.",
                "容器内服务同样监听 11434 端口",
                "容器内服务同样监听 11434 端口",
                0.7,
            )
        ],
        id="an-address-is-not-a-value",
    ),
    pytest.param(
        "A 13B model needs 8 GB of RAM.",
        HW_ZH,
        [("A 13B model needs 8 GB of RAM.", "13B 模型需要 16 GB", HW_SENTENCE, 0.3)],
        id="aligned-too-loosely",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), RESTATED)
def test_a_restatement_of_the_numbers_passes(answer: str, passage: str, pairs: list[tuple[str, str, str, float]]) -> None:
    assert _numbers(_check(answer, passage, pairs)) == []


REPEAT_EN = "`repeat_penalty` 1.0 means no penalty. The default is 1.1, which discourages repeating a phrase."
REPEAT_CLAUSE = "`repeat_penalty` 1.0 means no penalty."

# Numbers that are not another number (each fired before): thousands separators, settings written as code, a
# number the passage gives in another sentence when the clause is aligned loosely.
NOT_ANOTHER = [
    pytest.param(
        "The window holds 3,000 tokens.",
        "上下文窗口可容纳 3000 个 token。",
        [("The window holds 3,000 tokens.", "上下文窗口可容纳 3000 个 token", "上下文窗口可容纳 3000 个 token", 0.8)],
        id="en-thousands-separator",
    ),
    pytest.param(
        "窗口可容纳 8192 个 token。",
        "The window holds 8,192 tokens.",
        [("窗口可容纳 8192 个 token", "The window holds 8,192 tokens.", "The window holds 8,192 tokens.", 0.8)],
        id="zh-answer-en-thousands-separator",
    ),
    pytest.param(
        "Start the server with `OLLAMA_DEBUG=1`.",
        "设置 OLLAMA_DEBUG 后会多打印 3 类日志。",
        [
            (
                "Start the server with `OLLAMA_DEBUG=1`.",
                "设置 OLLAMA_DEBUG 后会多打印 3 类日志",
                "设置 OLLAMA_DEBUG 后会多打印 3 类日志",
                0.7,
            )
        ],
        id="en-setting-in-a-code-span",
    ),
    pytest.param(
        '在 [Service] 下加一行 Environment="OLLAMA_NUM_PARALLEL=2"。',
        "Add an Environment line under [Service] and restart 1 time.",
        [
            (
                '在 [Service] 下加一行 Environment="OLLAMA_NUM_PARALLEL=2"',
                "Add an Environment line under [Service] and restart 1 time.",
                "Add an Environment line under [Service] and restart 1 time.",
                0.6,
            )
        ],
        id="zh-setting-as-an-assignment",
    ),
    pytest.param(
        "repeat_penalty 默认是 1.1。",
        REPEAT_EN,
        [("repeat_penalty 默认是 1.1", REPEAT_CLAUSE, REPEAT_CLAUSE, 0.45)],
        id="zh-default-in-the-next-sentence-aligned-loosely",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), NOT_ANOTHER)
def test_a_number_that_is_not_another_passes(answer: str, passage: str, pairs: list[tuple[str, str, str, float]]) -> None:
    assert _numbers(_check(answer, passage, pairs)) == []


@pytest.mark.parametrize(
    ("answer", "passage", "pairs", "terms"),
    [
        pytest.param(
            "repeat_penalty 1.1 表示不惩罚。",
            REPEAT_EN,
            [("repeat_penalty 1.1 表示不惩罚", REPEAT_CLAUSE, REPEAT_CLAUSE, 0.7)],
            ["1.1", "1"],
            id="zh-conflates-two-passage-values-aligned-closely",
        ),
        pytest.param(
            "You get HTTP 500",
            API_ZH,
            [("You get HTTP 500", "HTTP 400**：请求参数有误", "- **HTTP 400**：请求参数有误，例如 JSON 格式不对；", 0.539)],
            ["500", "400"],
            id="en-another-row-of-the-list",
        ),
        pytest.param(
            "The window holds 4,096 tokens.",
            "上下文窗口可容纳 2048 token。",
            [("The window holds 4,096 tokens.", "上下文窗口可容纳 2048 token", "上下文窗口可容纳 2048 token", 0.8)],
            ["4096 token", "2048 token"],
            id="en-thousands-separator-another-number",
        ),
    ],
)
def test_a_conflation_of_passage_values_is_still_rejected(
    answer: str, passage: str, pairs: list[tuple[str, str, str, float]], terms: list[str]
) -> None:
    assert _numbers(_check(answer, passage, pairs)) == [terms]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("13B 模型需要 16 GB", {("13", "B"), ("16", "GB")}),
        ("5 到 6 GB", {("5", "GB"), ("6", "GB")}),
        ("默认 5 分钟", {("5", "min")}),
        ("4-bit", {("4", "bit")}),
        ("1. Install 2 models", {("2", "")}),
        ("qwen2.5:3b on 127.0.0.1:11434", set()),
        ("2024 年发布，num_ctx 2048", {("2048", "")}),
        ("7.0 or higher", {("7", "")}),
        ("eval_duration * 1e9", {("1000000000", "")}),  # a power written two ways is one value
        ("eval_duration × 10^9", {("1000000000", "")}),
        ("eval_duration 除以 10⁹", {("1000000000", "")}),  # read as text_numbers.numbers() reads it
        ("除以 10 的 9 次方", {("1000000000", "")}),
        ("divide by 1e9.", {("1000000000", "")}),
        ("2.5e3 tokens", {("2500", "token")}),
        ("3,000 tokens", {("3000", "token")}),
        ("1,048,576 个 token", {("1048576", "")}),
        ("取 1,2,3 或 4", {("1", ""), ("2", ""), ("3", ""), ("4", "")}),
        ("`OLLAMA_DEBUG=1`", set()),
        ('Environment="OLLAMA_NUM_PARALLEL=2" then 4 GB', {("4", "GB")}),
        ("num_ctx 设为 8192", {("8192", "")}),
    ],
)
def test_numbers_are_read_with_their_units(text: str, read: set[tuple[str, str]]) -> None:
    assert read_quantities(text) == read


def test_the_policy_ships_the_check_off_and_rejects_a_bad_value() -> None:
    """Off as shipped: its one report run rejected a correct cross-language answer (docs/GUARDRAILS.md)."""
    assert load_policy().params("grounding")["check_cross_numbers"] is False
    (guard,) = [g for g in build_guardrails(load_policy())["output"] if isinstance(g, GroundingGuardrail)]
    assert not guard.check_cross_numbers
    with pytest.raises(PolicyError, match="check_cross_numbers"):
        build_guardrails(load_policy_dict({"guardrails": {"grounding": {"check_cross_numbers": "sometimes"}}}))


# A claim aligned loosely with the wrong clause of a table row whose other cell gives its number (cf102 of the
# cross_faithful tune half): the number is the passage's, read from the table too. Aligned closer, it still fires.
PENALTY_EN = "| `repeat_penalty` | 1.1 | Penalises tokens that appeared recently. 1.0 disables the penalty. |"
CTX_ZH = "| `num_ctx` | 4096 | 上下文长度。设为 2048 可以省内存。 |"
TABLE_CELLS = [
    pytest.param(
        "默认值是 1.1，设为 1.0 即可关闭该惩罚。",
        PENALTY_EN,
        [("默认值是 1.1", "1.0 disables the penalty.", "1.0 disables the penalty.", 0.44)],
        [],
        id="zh-default-in-an-en-table-cell",
    ),
    pytest.param(
        "The default is 4096.",
        CTX_ZH,
        [("The default is 4096.", "设为 2048 可以省内存", "设为 2048 可以省内存。", 0.45)],
        [],
        id="en-default-in-a-zh-table-cell",
    ),
    pytest.param(
        "设为 1.1 即可关闭该惩罚。",
        PENALTY_EN,
        [("设为 1.1 即可关闭该惩罚", "1.0 disables the penalty.", "1.0 disables the penalty.", 0.74)],
        [["1.1", "1"]],
        id="zh-table-cell-for-a-closely-aligned-en-clause",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs", "expected"), TABLE_CELLS)
def test_a_loosely_aligned_number_in_a_table_cell_is_the_passages(answer, passage, pairs, expected) -> None:
    assert _numbers(_check(answer, passage, pairs)) == expected
