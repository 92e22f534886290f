"""Contradictions across languages (guardrails/crosslingual.py, through the grounding guardrail): an answer clause
in one language that negates, inverts or overgeneralizes the passage clause in the other language that the
similarity signal aligned it with; and the correct translations and summaries, zh→en and en→zh, that must pass.
The aligned pairs are given here as the signal would pass them (a scripted signal, no model); the signal's own
alignment is tested in tests/app/signals/test_cross_alignment.py. Passages are data/docs text or written like it;
answers are written for these tests or are tune-split items of data/eval/grounding2.jsonl (never report-split)."""

from __future__ import annotations

import pytest

from guardrails.base import Chunk, GuardContext, Signal, Verdict
from guardrails.crosslingual import ALIGNED_KEY
from guardrails.grounding import SIMILARITY_SIGNAL, GroundingGuardrail
from guardrails.overclaims import absolutes
from guardrails.units import changed_units, quantities


def _check(answer: str, passage: str, pairs: list[tuple[str, str, float]], **params: object) -> Verdict:
    """The guardrail on `answer` citing `passage`, with the signal's aligned (answer clause, passage clause,
    similarity) pairs; the passage clause is also the sentence here."""
    aligned = [{"claim": a, "clause": p, "sentence": p, "similarity": s} for a, p, s in pairs]
    signal = Signal(name=SIMILARITY_SIGNAL, score=0.6, details={"sentences": 1, ALIGNED_KEY: aligned})
    chunk = Chunk(chunk_id="c1", source="doc.md", text=passage, score=1.0, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,), answer=answer, citations=("S1",), signals={SIMILARITY_SIGNAL: signal})
    return GroundingGuardrail(**{"check_cross_language": True, **params}).check(ctx)  # type: ignore[arg-type]


AUTH_ZH = "注意 Ollama 本身没有登录认证，对外开放前务必配置防火墙或带认证的反向代理。"
AUTH_EN = "Ollama has no built-in authentication, so keep it behind a firewall before exposing it to a network."
CORES_ZH = "CPU 推理主要受内存带宽限制；核心数超过一定数量后提升不大。"
RM_EN = "`ollama rm qwen2.5:3b` deletes a model from disk. Layers shared with other models are kept."
STOP_EN = "`ollama stop` unloads a model from memory; its files stay on disk."
LOAD_EN = "A cold load usually takes a few seconds on an SSD and can take tens of seconds on a slow disk."
RAG_ZH = "RAG 不会修改模型的权重，只是把检索到的片段放进提示词。"

# (answer, passage, aligned pairs, kind of the contradiction, evidence it names). Similarities as usem3 measured
# them on these pairs (tune items g2x027, g2x033 and grx022; the rest written for these tests).
CONTRADICTED = [
    pytest.param(
        "Yes, Ollama has built-in login authentication.",
        AUTH_ZH,
        [("Ollama has built-in login authentication", "注意 Ollama 本身没有登录认证", 0.70)],
        "polarity",
        "没有",
        id="en-affirms-zh-negation",
    ),
    pytest.param(
        "Ollama 自带用户名密码认证。",
        AUTH_EN,
        [("Ollama 自带用户名密码认证", "Ollama has no built-in authentication", 0.70)],
        "polarity",
        "no",
        id="zh-affirms-en-negation",
    ),
    pytest.param(
        "RAG changes the model's weights.",
        RAG_ZH,
        [("RAG changes the model's weights.", "RAG 不会修改模型的权重", 0.73)],
        "polarity",
        "不",
        id="en-drops-zh-negation",
    ),
    pytest.param(
        "CPU inference is limited by memory bandwidth, so adding cores never makes any difference.",
        CORES_ZH,
        [("so adding cores never makes any difference.", "核心数超过一定数量后提升不大", 0.42)],
        "general",
        "never",
        id="en-never-for-zh-hedge",
    ),
    pytest.param(
        "冷启动在 SSD 上总是只要几秒。",
        LOAD_EN,
        [("冷启动在 SSD 上总是只要几秒", LOAD_EN, 0.76)],
        "general",
        "总是",
        id="zh-always-for-en-usually",
    ),
    pytest.param(
        "ollama rm 只把模型从内存中卸载。",
        RM_EN,
        [("ollama rm 只把模型从内存中卸载", "`ollama rm qwen2.5:3b` deletes a model from disk.", 0.49)],
        "opposite",
        "memory/disk",
        id="zh-memory-for-en-disk",
    ),
    pytest.param(
        "ollama stop 会把模型文件从磁盘删除。",
        STOP_EN,
        [("ollama stop 会把模型文件从磁盘删除", "`ollama stop` unloads a model from memory", 0.63)],
        "opposite",
        "memory/disk",
        id="zh-disk-for-en-memory",
    ),
    pytest.param(
        "Decreasing num_ctx increases memory use.",
        "增大 num_ctx 会增加内存占用。",
        [("Decreasing num_ctx increases memory use.", "增大 num_ctx 会增加内存占用", 0.74)],
        "opposite",
        "increase/decrease",
        id="en-decrease-for-zh-increase",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs", "kind", "evidence"), CONTRADICTED)
def test_a_cross_language_contradiction_is_caught_with_its_evidence(answer, passage, pairs, kind, evidence) -> None:
    verdict = _check(answer, passage, pairs)
    assert verdict.fired and verdict.action == "reask", verdict.reason
    found = [c for c in verdict.details["contradictions"] if c["kind"] == kind]
    assert found and evidence in found[0]["terms"], verdict.details["contradictions"]
    assert any(e.startswith(f"{kind}: ") for e in verdict.evidence)


# Correct translations and summaries: negations kept, opposites kept, hedges kept, reply words, negated hedges,
# table rows, and clauses aligned too loosely to compare their polarity.
SUPPORTED = [
    pytest.param(
        "No, Ollama has no built-in authentication, so put it behind a firewall.",
        AUTH_ZH,
        [
            ("Ollama has no built-in authentication", "注意 Ollama 本身没有登录认证", 0.79),
            ("so put it behind a firewall.", "对外开放前务必配置防火墙或带认证的反向代理", 0.46),
        ],
        id="en-keeps-zh-negation-after-a-no",
    ),
    pytest.param(
        "没有，Ollama 本身没有认证功能，暴露到公网前要加防火墙。",
        AUTH_EN,
        [
            ("Ollama 本身没有认证功能", "Ollama has no built-in authentication", 0.81),
            ("暴露到公网前要加防火墙", "so keep it behind a firewall before exposing it to a network", 0.50),
        ],
        id="zh-keeps-en-negation",
    ),
    pytest.param(
        "RAG does not change the model's weights; it only adds retrieved passages to the prompt.",
        RAG_ZH,
        [
            ("RAG does not change the model's weights", "RAG 不会修改模型的权重", 0.85),
            ("it only adds retrieved passages to the prompt.", "只是把检索到的片段放进提示词", 0.44),
        ],
        id="en-keeps-zh-negation",
    ),
    pytest.param(
        "Adding more cores helps little beyond a certain number.",
        CORES_ZH,
        [("Adding more cores helps little beyond a certain number.", "核心数超过一定数量后提升不大", 0.65)],
        id="en-helps-little-for-zh-negated-hedge",
    ),
    pytest.param(
        "在 SSD 上冷加载通常只要几秒。",
        LOAD_EN,
        [("在 SSD 上冷加载通常只要几秒", LOAD_EN, 0.78)],
        id="zh-keeps-en-hedge",
    ),
    pytest.param(
        "ollama rm deletes the model from disk; layers other models share are kept.",
        "`ollama rm` 会把模型从磁盘删除，与其他模型共享的层会保留。",
        [
            ("ollama rm deletes the model from disk", "ollama rm` 会把模型从磁盘删除", 0.88),
            ("layers other models share are kept.", "与其他模型共享的层会保留", 0.75),
        ],
        id="en-keeps-zh-senses",
    ),
    pytest.param(
        "ollama stop 只把模型从内存卸载，文件仍在磁盘上。",
        STOP_EN,
        [
            ("ollama stop 只把模型从内存卸载", "`ollama stop` unloads a model from memory", 0.74),
            ("文件仍在磁盘上", "its files stay on disk.", 0.68),
        ],
        id="zh-keeps-en-senses",
    ),
    pytest.param(
        "模型文件会保留在磁盘上。",
        "The model files are not deleted from disk.",
        [("模型文件会保留在磁盘上", "The model files are not deleted from disk.", 0.65)],
        id="zh-kept-for-en-not-deleted",
    ),
    pytest.param(
        "The files are not deleted; they stay on disk.",
        "`ollama stop` 只卸载内存中的模型，文件会保留在磁盘上。",
        [("The files are not deleted", "文件会保留在磁盘上", 0.66)],
        id="en-not-deleted-for-zh-kept",
    ),
    pytest.param(
        "Requests and responses are always JSON.",
        "API 的请求和响应始终是 JSON 格式。",
        [("Requests and responses are always JSON.", "API 的请求和响应始终是 JSON 格式", 0.72)],
        id="en-keeps-zh-absolute",
    ),
    pytest.param(
        "A 404 for a missing model: pull it instead of retrying.",
        "| HTTP 404（模型不存在） | 否 | 应提示执行 ollama pull |",
        [("A 404 for a missing model:", "HTTP 404（模型不存在） | 否 | 应提示执行 ollama pull", 0.64)],
        id="en-against-a-zh-table-row",
    ),
    pytest.param(
        "Q8_0 光权重就约 7.2 GB。",
        "Q8_0 (about 7.2 GB of weights) leaves no room for the operating system.",
        [("Q8_0 光权重就约 7.2 GB", "Q8_0 (about 7.2 GB of weights) leaves no room for the operating system.", 0.44)],
        id="zh-part-of-an-en-clause-aligned-loosely",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), SUPPORTED)
def test_a_correct_cross_language_answer_passes(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert not verdict.fired, verdict.reason
    assert verdict.details["contradictions"] == []


def test_the_alignment_thresholds_decide_what_is_compared() -> None:
    pair = [("Ollama has built-in login authentication", "注意 Ollama 本身没有登录认证", 0.58)]
    assert not _check("Ollama has built-in login authentication.", AUTH_ZH, pair).fired  # below 0.6: not compared
    assert _check("Ollama has built-in login authentication.", AUTH_ZH, pair, min_cross_alignment=0.55).fired
    loose = [("ollama rm 只把模型从内存中卸载", "`ollama rm qwen2.5:3b` deletes a model from disk.", 0.35)]
    assert not _check("ollama rm 只把模型从内存中卸载。", RM_EN, loose).fired
    assert not _check("Yes, Ollama has built-in login authentication.", AUTH_ZH, pair, check_contradictions=False).fired
    turned = [("ollama rm 只把模型从内存中卸载", "`ollama rm qwen2.5:3b` deletes a model from disk.", 0.49)]
    assert _check("ollama rm 只把模型从内存中卸载。", RM_EN, turned).fired
    assert not _check("ollama rm 只把模型从内存中卸载。", RM_EN, turned, check_opposites=False).fired


def test_unreadable_pairs_are_said_and_decide_nothing() -> None:
    signal = Signal(name=SIMILARITY_SIGNAL, score=0.7, details={ALIGNED_KEY: [{"claim": "x"}]})
    chunk = Chunk(chunk_id="c1", source="doc.md", text=AUTH_ZH, score=1.0, label="S1")
    ctx = GuardContext(question="q", chunks=(chunk,), answer="Ollama has built-in login authentication.", citations=("S1",))
    verdict = GroundingGuardrail(check_cross_language=True).check(ctx.model_copy(update={"signals": {SIMILARITY_SIGNAL: signal}}))
    assert not verdict.fired
    assert "aligned clauses unreadable" in verdict.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("快速 SSD 上大约一分钟", [("1", "time", "min")]),
        ("两个小时", [("2", "time", "h")]),
        ("三十秒", [("30", "time", "s")]),
        ("it ranges from about a second on a fast SSD", [("1", "time", "s")]),
        ("five minutes", [("5", "time", "min")]),
        ("an hour", [("1", "time", "h")]),
        ("十分重要", []),  # 十分 is "very"
        ("十几秒", []),  # no value
        ("几十分钟", []),
        ("第一天", []),  # an ordinal
        ("a second request", []),  # an ordinal
    ],
)
def test_numbers_in_words_carry_their_unit(text, expected) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    ("answer", "passage", "fires"),
    [
        ("快速 SSD 上大约一分钟，慢硬盘上要几十分钟。", "it ranges from about a second on a fast SSD to tens of seconds", True),
        ("模型默认在内存里保留五秒。", "By default a model stays in memory for five minutes.", True),
        ("The model stays in memory for five seconds by default.", "模型默认在内存中保留五分钟。", True),
        ("模型默认在内存里保留五分钟。", "By default a model stays in memory for 5 minutes.", False),
        ("Loading takes about a minute on a slow disk.", "在慢速磁盘上加载大约需要一分钟。", False),
    ],
)
def test_a_number_in_words_in_another_unit_across_languages(answer, passage, fires) -> None:
    assert bool(changed_units(answer, passage)) is fires


def test_a_certain_number_is_not_an_absolute() -> None:
    assert absolutes("核心数超过一定数量后提升不大") == set()
    assert absolutes("修改后一定要重启服务") == {"一定"}


def test_the_cross_language_comparison_is_off_unless_the_policy_turns_it_on() -> None:
    # designed on the tune split; on grounding2's report half it caught nothing and blocked correct translations
    pairs = [("Ollama has built-in login authentication.", AUTH_ZH, 0.7)]
    assert _check("Ollama has built-in login authentication.", AUTH_ZH, pairs).fired
    assert not _check("Ollama has built-in login authentication.", AUTH_ZH, pairs, check_cross_language=False).fired
    assert GroundingGuardrail().check_cross_language is False


# A negation restated without a cue: a passage's contrast, a word of negative sense on the other side (prefixed,
# of shortage, of failure). Each fired before cross_lexicon.py; g5x022 and cx008 are tune-split items.
RESTATED_NEGATIONS = [
    pytest.param(
        "还有余量就升到 Q5_K_M 或 Q6_K。",
        "If memory is left, step up to Q5_K_M or Q6_K rather than enlarging the context.",
        [("还有余量就升到 Q5_K_M 或 Q6_K", "step up to Q5_K_M or Q6_K rather than enlarging the context.", 0.7)],
        id="zh-restates-what-an-en-rather-than-affirms",
    ),
    pytest.param(
        "Bind it to 0.0.0.0.",
        "要对外提供服务，需要把 OLLAMA_HOST 设为 0.0.0.0 而不是 localhost。",
        [("Bind it to 0.0.0.0.", "需要把 OLLAMA_HOST 设为 0.0.0.0 而不是 localhost", 0.66)],
        id="en-restates-what-a-zh-er-bu-shi-affirms",
    ),
    pytest.param(
        "RAG puts the retrieved passages into the prompt.",
        "RAG 不是修改权重而是把检索到的片段放进提示词。",
        [("RAG puts the retrieved passages into the prompt.", "RAG 不是修改权重而是把检索到的片段放进提示词", 0.7)],
        id="en-restates-what-a-zh-bu-shi-er-shi-affirms",
    ),
    pytest.param(
        "参数无效返回 400。",
        "Invalid parameters give 400.",
        [("参数无效返回 400", "Invalid parameters give 400", 0.8)],
        id="zh-wu-xiao-for-en-invalid",
    ),
    pytest.param(
        "If the download is incomplete, run the pull again.",
        "如果下载不完整，重新执行 pull 即可。",
        [("If the download is incomplete", "如果下载不完整", 0.8)],
        id="en-incomplete-for-zh-bu-wan-zheng",
    ),
    pytest.param(
        "When the GPU runs out of memory, layers move to the CPU.",
        "显存不足时，部分层会放到 CPU 上。",
        [("When the GPU runs out of memory", "显存不足时", 0.75)],
        id="en-runs-out-of-for-zh-bu-zu",
    ),
    pytest.param(
        "If the service fails to start, read the logs.",
        "如果服务无法启动，先看日志。",
        [("If the service fails to start", "如果服务无法启动", 0.8)],
        id="en-fails-for-zh-wu-fa",
    ),
    pytest.param(
        "如果模型启动失败，先看日志。",
        "If the model does not start, read the logs first.",
        [("如果模型启动失败", "If the model does not start", 0.78)],
        id="zh-shi-bai-for-en-does-not",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), RESTATED_NEGATIONS)
def test_a_negation_restated_without_a_cue_passes(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert verdict.details["contradictions"] == [], verdict.reason


# ... and what must still fire: an answer's own contrast against a plain passage clause (cx024, tune), a failure
# the passage negates, an answer affirming what a passage's contrast rejects when it negates too.
STILL_NEGATED = [
    pytest.param(
        "but the base model's weight layers are duplicated rather than reused",
        "基础模型的权重层会被复用，不会重复占用磁盘。",
        [("but the base model's weight layers are duplicated rather than reused", "基础模型的权重层会被复用", 0.62)],
        id="en-answer-rejects-what-zh-affirms",
    ),
    pytest.param(
        "This request errors out.",
        "这个请求不会报错。",
        [("This request errors out.", "这个请求不会报错", 0.75)],
        id="en-errors-out-for-zh-negated-bao-cuo",
    ),
    pytest.param(
        "请求参数有效时也会返回 400。",
        "A request with valid parameters does not return 400.",
        [("请求参数有效时也会返回 400", "A request with valid parameters does not return 400.", 0.8)],
        id="zh-affirms-en-negation-no-negative-word",
    ),
]


@pytest.mark.parametrize(("answer", "passage", "pairs"), STILL_NEGATED)
def test_a_negation_on_one_side_only_still_fires(answer, passage, pairs) -> None:
    verdict = _check(answer, passage, pairs)
    assert [c["kind"] for c in verdict.details["contradictions"]] == ["polarity"], verdict.details
