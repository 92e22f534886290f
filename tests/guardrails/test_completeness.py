"""CompletenessGuardrail: vague questions get clarifying questions; concrete look-alikes pass."""

from __future__ import annotations

import pytest

from guardrails.base import GuardContext, Signal, Turn
from guardrails.completeness import SIGNAL, CompletenessGuardrail
from guardrails.text import has_cjk

GUARD = CompletenessGuardrail()
PLAN = (Turn(role="user", content="I plan to run qwen2.5:7b Q4_K_M on a laptop with 8 GB RAM."),)


def check(question: str, history: tuple[Turn, ...] = (), signal: Signal | None = None, guard=GUARD):
    signals = {SIGNAL: signal} if signal is not None else {}
    return guard.check(GuardContext(question=question, history=history, signals=signals))


def semantic(score: float, error: str | None = None) -> Signal:
    return Signal(name=SIGNAL, score=score, evidence=("nearest underspecified: 'Recommend a model.' (vague/v109), similarity 0.8",), error=error)  # fmt: skip


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("请判断这个方案是否合理。", {"referent", "object"}),
        ("Is this plan reasonable?", {"referent"}),
        ("帮我看看这段代码有什么问题", {"object"}),
        ("哪个更好？", {"candidates"}),
        ("What does it mean?", {"referent"}),
        ("Fix this.", {"object"}),
        ("它是什么意思？", {"referent"}),
        ("Why doesn't it work?", {"referent"}),
        ("Which one is better?", {"candidates"}),
        ("Please review my code.", {"object"}),
        ("翻译一下这段话", {"object"}),
        ("Summarize the following.", {"object"}),
        ("上面说的对吗？", {"referent"}),
        ("Why is my Docker command failing?", {"object"}),
        ("我的配置为什么报错？", {"object"}),
        ("What does this parameter do?", {"referent"}),
        ("?", {"content"}),
        ("help", {"content"}),
        ("帮我", {"content"}),
        ("怎么办", {"content"}),
        ("What's the difference?", {"content"}),
        # English phrasings at parity with the Chinese ones
        ("Can you review this?", {"object"}),
        ("What's wrong with it?", {"referent"}),
        ("Which is better?", {"candidates"}),
        ("Is the plan OK?", {"referent"}),
        ("Summarize the attached.", {"object", "referent"}),
        ("Fix the error.", {"object"}),
        ("Is it safe to use?", {"referent"}),
        ("How do I install it?", {"referent"}),
        ("Is the new version better?", {"referent"}),
        ("Does the setting I mentioned matter?", {"referent"}),
        ("Any feedback on my draft?", {"object"}),
        ("Which option should I pick?", {"candidates"}),
        ("What's the difference between them?", {"referent"}),
        ("Should I go with the first approach or the second one?", {"referent"}),
        ("Translate to English.", {"object"}),
        # ... and their Chinese counterparts
        ("帮我审一下这个。", {"referent", "object"}),
        ("它有什么问题？", {"referent"}),
        ("这正常吗？", {"referent"}),
        ("这个用起来安全吗？", {"referent"}),
        ("同样的问题，换成第二个模型呢？", {"referent"}),
        ("我们之前讨论的办法还有效吗？", {"referent"}),
        ("总结一下附件。", {"object", "referent"}),
        ("对我的草稿有什么意见？", {"object"}),
        ("给我的答案打个分。", {"object"}),
        ("改写成英文。", {"object"}),
        ("展开说说。", {"content"}),
    ],
)
def test_vague_questions_clarify(question: str, missing: set[str]) -> None:
    verdict = check(question)
    assert verdict.fired, question
    assert verdict.action == "clarify"
    assert set(verdict.details["missing"]) <= {"referent", "object", "candidates", "content"}  # lexical, no signal
    assert set(verdict.details["missing"]) & missing, verdict.details
    questions = verdict.details["questions"]
    assert 1 <= len(questions) <= 3
    # Clarifying questions come in the language of the question.
    assert all(has_cjk(q) == has_cjk(question) for q in questions), questions


@pytest.mark.parametrize(
    "question",
    [
        "Ollama 默认监听哪个端口？",
        "How do I pull a model with Ollama?",
        "Which is better for 8 GB RAM, Q4_K_M or Q8_0?",
        "这个参数 num_ctx 是什么意思？",
        "What does this environment variable OLLAMA_KEEP_ALIVE control?",
        "Q4_K_M 和 Q8_0 哪个更好？",
        "哪个更好：Q5_K_M 还是 Q4_K_M？",
        "Translate this: hello world",
        "总结下面的内容：Ollama 是一个在本地运行大模型的工具。",
        "Is it true that Ollama listens on port 11434?",
        "I installed Ollama but it won't start. What should I check?",
        'What does it mean when done_reason is "length"?',
        "Fix this: `ollama run` says model not found",
        "How do I check the logs?",
        "What is a model?",
        "What is prompt injection?",
        "Which of these is a quantization format: Q4_K_M, FP16, GGUF?",
        "如何在 Docker 里运行 Ollama？",
        "上下文长度 num_ctx 默认是多少？",
        # look-alikes of the new English rules: the definite noun is named after it, or it is a how-to
        "What is the answer to life?",
        "What is the latest version of Ollama?",
        "What does the temperature parameter change in the model's output?",
        "How do I say hello in Chinese?",
        "What is JSON?",
        "Is the plan OK: a nightly cron job that runs `ollama pull qwen2.5:3b`?",
        "Which option is best for a laptop: Q4_K_M or Q8_0?",
        "What about the OLLAMA_HOST setting I mentioned?",
        "Any feedback on my draft title: 'Running Local LLMs Safely'?",
        "Ollama 的第一个版本是什么时候发布的？",
        "把这句改写成英文：“修改环境变量后要重启服务。”",
    ],
)
def test_concrete_questions_pass(question: str) -> None:
    verdict = check(question)
    assert not verdict.fired, verdict.details
    assert verdict.details["missing"] == [] and verdict.details["questions"] == []
    assert verdict.details["semantic"] == {"status": "missing"} and verdict.score is None
    assert "lexical checks only" in verdict.reason


def test_history_resolves_references() -> None:
    assert check("Is it reasonable?").fired
    assert not check("Is it reasonable?", PLAN).fired
    assert not check("哪个更好？", (Turn(role="user", content="Q4_K_M 和 Q8_0 我该选哪个？"),)).fired


def test_history_without_content_does_not_resolve() -> None:
    assert check("Is it reasonable?", (Turn(role="user", content="hi"),)).fired


def test_history_can_be_ignored_by_policy() -> None:
    guard = CompletenessGuardrail(use_history=False)
    assert guard.check(GuardContext(question="Is it reasonable?", history=PLAN)).fired


def test_evidence_names_the_vague_phrase() -> None:
    verdict = check("Is this plan reasonable?")
    assert "this plan" in verdict.evidence
    assert 'What does "this plan" refer to?' in verdict.details["questions"][0]


def test_candidates_question_asks_for_options_and_criteria() -> None:
    questions = check("Which one is better?").details["questions"]
    assert any("options" in q for q in questions)
    assert len(questions) == 2


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        # A material noun asked about in general names the topic, in both languages alike.
        ("日志在哪里看？", None),
        ("Where are the logs?", None),
        ("代码在哪里？", None),
        ("Where is code stored?", None),
        # The user's own material, not shown; a request to work on it; a reference to it.
        ("我的代码", "content"),
        ("Look at my code.", "content"),
        ("帮我看看日志。", "object"),
        ("看一下日志里有没有错误。", "object"),
        ("这个日志在哪里看？", "referent"),
    ],
)
def test_a_material_noun_is_a_topic_unless_it_is_the_users_own(question: str, missing: str | None) -> None:
    verdict = check(question)
    assert verdict.fired is (missing is not None), verdict.reason
    assert verdict.details["missing"] == ([missing] if missing else [])


def test_max_questions() -> None:
    guard = CompletenessGuardrail(max_questions=1)
    verdict = guard.check(GuardContext(question="哪个更好？"))
    assert len(verdict.details["questions"]) == 1


@pytest.mark.parametrize(
    ("question", "score", "fired"),
    [
        ("Recommend a model.", 0.91, True),
        ("推荐一个模型。", 0.85, True),
        ("Tell me about kiwi.", 0.70, True),  # at the threshold
        ("What port does Ollama listen on by default?", 0.10, False),
        ("Ollama 默认监听哪个端口？", 0.69, False),  # just below
    ],
)
def test_semantic_signal_clarifies_underspecified_intent(question: str, score: float, fired: bool) -> None:
    verdict = check(question, signal=semantic(score))
    assert verdict.fired is fired
    assert verdict.score == score and verdict.threshold == GUARD.semantic_threshold
    assert any("nearest underspecified" in e for e in verdict.evidence)
    assert verdict.details["semantic"]["status"] == "ok"
    if fired:
        assert verdict.details["missing"] == ["intent"] and verdict.action == "clarify"
        questions = verdict.details["questions"]
        assert len(questions) == 1 and has_cjk(questions[0]) == has_cjk(question)


def test_lexical_gaps_decide_before_the_semantic_score() -> None:
    verdict = check("Fix this.", signal=semantic(0.05))
    assert verdict.fired and verdict.details["missing"] == ["object"]


def test_history_that_names_something_overrides_the_semantic_score() -> None:
    assert not check("Which one should I pick?", PLAN, signal=semantic(0.95)).fired


@pytest.mark.parametrize(
    ("signal", "says"),
    [
        (None, "no semantic signal for this request: lexical checks only"),
        (
            semantic(0.99, error="DetectorUnavailable: no exemplars"),
            "semantic signal failed: DetectorUnavailable: no exemplars; lexical checks only",
        ),
    ],
)
def test_without_a_usable_signal_only_the_lexical_checks_decide(signal: Signal | None, says: str) -> None:
    clear = check("Recommend a model.", signal=signal)
    assert not clear.fired and says in clear.reason
    vague = check("Is this plan reasonable?", signal=signal)
    assert vague.fired and says in vague.reason


def test_semantic_threshold_one_turns_the_signal_off() -> None:
    off = CompletenessGuardrail(semantic_threshold=1.0)
    assert not check("Recommend a model.", signal=semantic(0.99), guard=off).fired


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        # Material the question says it carries or came with, named only by its kind.
        ("Summarize the attached PDF", "pdf"),
        ("Review the attached contract and list the risks.", "contract"),
        ("The log is below, what went wrong?", "log"),
        ("See the config below and tell me what's wrong.", "config"),
        ("Here is my Modelfile. Is it correct?", "modelfile"),
        ("Here's my code, why doesn't it compile?", "code"),
        ("From the nvidia-smi output I sent, is the model on the GPU?", "output"),
        ("根据附件里的数据，哪个季度最好？", "数据"),
        ("根据我上传的合同，违约金是多少？", "合同"),
    ],
)
def test_announced_material_that_is_not_there_is_asked_for(question: str, noun: str) -> None:
    verdict = check(question)
    assert verdict.fired and verdict.details["missing"] == ["object"], verdict.reason
    assert any(noun in q for q in verdict.details["questions"]), verdict.details["questions"]


@pytest.mark.parametrize(
    "question",
    [
        # The material is there (after a colon or newline, or quoted) ...
        "Here is my Modelfile:\nFROM llama3\nPARAMETER temperature 0.2\nIs it correct?",
        "The log is below:\nError: model not found\nWhat went wrong?",
        'Review the attached contract: "Party A shall pay within 30 days." Any risks?',
        # ... or the words are not announcing material here.
        "Can I run a 7B model with below 8 GB of RAM?",
        "Is my VRAM below the limit for a 13B model?",
        "What happens to the models I uploaded to ollama.com?",
        "What does the request I sent to /api/generate return?",
        "Which GPU is attached to the container?",
        "How do I paste multi-line text into ollama run?",
        "Here's the thing: ollama won't start on boot. Why?",
        "Please paste your answer below.",
        "8GB以下的显卡能跑 7B 吗？",
    ],
)
def test_material_supplied_or_not_announced_passes(question: str) -> None:
    verdict = check(question)
    assert not verdict.fired, verdict.reason
