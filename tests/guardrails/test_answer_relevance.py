"""AnswerRelevanceGuardrail: an echo of the question or a bare heading is re-asked; a real answer that reuses
the question's words (plus a number, a yes/no, an identifier) and a heading that is itself the answer pass."""

from __future__ import annotations

import pytest

from guardrails.answer_relevance import AnswerRelevanceGuardrail
from guardrails.base import Chunk, GuardContext
from guardrails.headings import headings

ENV = Chunk(
    chunk_id="e",
    source="ollama-env-vars-zh.md",
    label="S1",
    score=0.6,
    text="Ollama 环境变量配置指南 > 各变量说明\n**OLLAMA_KEEP_ALIVE**：默认 5 分钟。`0` 表示用完立即卸载。",
)
CLI = Chunk(
    chunk_id="c",
    source="ollama-cli.md",
    label="S1",
    score=0.6,
    text="Ollama Command-Line Reference > Commands > ollama stop\n`ollama stop qwen2.5:3b` unloads a model from memory.",
)
FAQ = Chunk(
    chunk_id="f",
    source="faq.txt",
    label="S1",
    score=0.6,
    text="Q7. Answers stop in the middle, or JSON is cut off.\n\nLook at done_reason in the API response.",
)


def check(question: str, answer: str, chunk: Chunk = ENV):
    return AnswerRelevanceGuardrail().check(GuardContext(question=question, chunks=(chunk,), answer=answer, citations=("S1",)))


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "OLLAMA_KEEP_ALIVE 有什么作用呢？"),
        ("怎么确认环境变量已经生效？", "您想知道怎么确认环境变量已经生效。"),
        ("Docker 里怎么让容器使用 NVIDIA 显卡？", "关于 Docker 里怎么让容器使用 NVIDIA 显卡的问题。"),
        ("What does OLLAMA_KEEP_ALIVE control?", "What does OLLAMA_KEEP_ALIVE control?"),
        ("How do I rename a model?", "You are asking how to rename a model."),
        ("How do I turn off streaming in the API?", "How do I turn off streaming in the API? Turn off streaming in the API."),
    ],
)
def test_echoes_are_reasked(question: str, answer: str) -> None:
    verdict = check(question, answer)
    assert verdict.fired and verdict.action == "reask" and "restates the question" in verdict.reason


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Ollama 默认监听哪个端口？", "Ollama 默认监听 11434 端口。"),  # the number is the answer
        ("Is the default port of Ollama 11434?", "Yes, the default port of Ollama is 11434."),
        ("OLLAMA_KEEP_ALIVE 默认是多久？", "是的，默认 5 分钟"),
        ("Which variable changes the listen address?", "Set OLLAMA_HOST to change the listen address."),
        ("What does OLLAMA_KEEP_ALIVE control?", "How long an idle model stays in memory: 5 minutes by default."),
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "控制模型空闲后在内存里保留多久，默认 5 分钟。"),
        ("Is it safe?", "No."),
    ],
)
def test_answers_reusing_the_question_pass(question: str, answer: str) -> None:
    assert not check(question, answer).fired


@pytest.mark.parametrize(
    ("answer", "chunk"),
    [
        ("Ollama 环境变量配置指南 > 各变量说明", ENV),
        ("各变量说明", ENV),
        ("## 各变量说明", ENV),
        ("Q7. Answers stop in the middle, or JSON is cut off.", FAQ),
    ],
)
def test_a_bare_heading_is_reasked(answer: str, chunk: Chunk) -> None:
    verdict = check("OLLAMA_KEEP_ALIVE 有什么作用？", answer, chunk)
    assert verdict.fired and "heading" in verdict.reason


def test_a_heading_the_passage_shows_as_code_is_an_answer() -> None:
    assert not check("Which command unloads a model from memory?", "ollama stop", CLI).fired
    assert not check("Which command unloads a model from memory?", "`ollama stop`", CLI).fired


def test_headings_of_a_chunk() -> None:
    assert headings(ENV) == ["Ollama 环境变量配置指南 > 各变量说明", "Ollama 环境变量配置指南", "各变量说明"]
    assert "Q7. Answers stop in the middle, or JSON is cut off." in headings(FAQ)


def test_checks_can_be_switched_off() -> None:
    guard = AnswerRelevanceGuardrail(check_headings=False)
    ctx = GuardContext(question="q?", chunks=(ENV,), answer="各变量说明", citations=("S1",))
    assert not guard.check(ctx).fired


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # hedges and placeholders for the thing asked add no content to a restated question
        ("OLLAMA_KEEP_ALIVE 有什么作用？", "这个问题的答案是：OLLAMA_KEEP_ALIVE 的作用取决于具体情况。"),
        ("模型默认存放在哪里？", "模型默认存放在相应的位置。"),
        ("怎么让容器使用显卡？", "按照一定的方法让容器使用显卡。"),
        ("ADAPTER 指令有什么要求？", "ADAPTER 指令有一定的要求，要视情况而定。"),
        ("How do I rename a model?", "It depends on your setup: you rename the model in a certain way."),
        ("Where are models stored?", "Models are stored in a specific location."),
        # another form of the question's own words, joined by a connective
        ("Why is the first answer slow when later ones are fast?", "The first answer is slower while later ones are faster."),
    ],
)
def test_echoes_padded_with_generic_words_are_reasked(question: str, answer: str) -> None:
    verdict = check(question, answer)
    assert verdict.fired and "restates the question" in verdict.reason, verdict.details


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Ollama 默认监听哪个端口？", "取决于 OLLAMA_HOST，一般是 11434。"),
        ("模型默认存放在哪里？", "Linux 上在 /usr/share/ollama/.ollama/models 这个位置。"),
        ("显存不够时会怎样？", "具体情况是一部分层会放到 CPU 上运行，速度明显下降。"),
        ("Does the output change between runs?", "It depends: a fixed seed and temperature 0 make it far more repeatable."),
        ("How do I install Ollama?", "Run the installer, then start it from the menu."),
        ("Why is the first answer slow?", "Usually because the model is loaded from disk into memory first."),
    ],
)
def test_answers_with_generic_words_pass(question: str, answer: str) -> None:
    assert not check(question, answer).fired


def test_a_comment_in_a_code_block_is_not_a_heading() -> None:
    chunk = Chunk(
        chunk_id="i",
        source="ollama-install-zh.md",
        label="S1",
        score=0.6,
        text="安装 > 修改端口\n通过 `OLLAMA_HOST` 控制：\n\n```bash\n# 改为 11500 端口，仍只监听本机\nOLLAMA_HOST=127.0.0.1:11500 ollama serve\n```",
    )
    assert "改为 11500 端口，仍只监听本机" not in headings(chunk)
    assert not check("怎么修改端口？", "改为 11500 端口，仍只监听本机", chunk).fired


def _chunk(text: str) -> Chunk:
    return Chunk(chunk_id="k", source="doc.md", label="S1", score=0.6, text=text)


@pytest.mark.parametrize(
    ("text", "comment"),
    [
        ("Setup > Port\nSet the port:\n~~~\n```\n# move to port 11500\n~~~", "move to port 11500"),
        ("Setup > Port\nSet the port:\n````\n```\n# move to port 11500\n````", "move to port 11500"),
        ("安装 > 修改端口\n设置端口：\n~~~\n```\n# 改为 11500 端口\n~~~", "改为 11500 端口"),
        ("安装 > 修改端口\n设置端口：\n````bash\n```\n# 改为 11500 端口\n````", "改为 11500 端口"),
    ],
)
def test_a_comment_in_any_fenced_block_is_no_heading(text: str, comment: str) -> None:
    """A ``` line inside a ~~~ block (or a longer ```` block) is code, and so is the "# comment" after it."""
    assert comment not in headings(_chunk(text))


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Models\n```ollama ps``` lists the loaded models.\n# Stopping a model\nRun ollama stop.", "Stopping a model"),
        ("模型\n```ollama ps``` 列出已加载的模型。\n# 停止模型\n运行 ollama stop。", "停止模型"),
    ],
)
def test_inline_triple_backticks_open_no_block(text: str, heading: str) -> None:
    assert heading in headings(_chunk(text))


def test_no_sentence_of_the_corpus_is_rejected_when_asked_by_its_heading() -> None:
    """Self-generated supported answers: every sentence of every chunk of data/docs, asked by the chunk's own
    heading path (the question a quote of it answers). None is an echo or a bare heading."""
    from app import chunk_text
    from guardrails.sentences import sentences
    from tests.guardrails.corpus import corpus_files

    guard, fired = AnswerRelevanceGuardrail(), []
    for name, text in corpus_files():
        for draft in chunk_text(text, source=name):
            heading, _, body = draft.text.partition("\n")
            chunk = Chunk(chunk_id="d", source=name, label="S1", score=0.6, text=draft.text)
            for sentence in sentences(body):
                ctx = GuardContext(question=heading, chunks=(chunk,), answer=sentence, citations=("S1",))
                if guard.check(ctx).fired:
                    fired.append((name, sentence))
    assert fired == []


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which is faster, Q4 or Q8?", "Q4 is faster."),
        ("Should I use Docker or a native install?", "Use a native install."),
        ("Is a smaller model faster or a bigger one?", "A smaller model is faster."),
        ("选 Q4 还是 Q8？", "选 Q8。"),
        ("同样的内存，选大模型的 Q4 还是小模型的 Q8？", "选大模型的 Q4。"),
        ("Q4 和 Q8 哪个更快？", "Q4 更快。"),
        ("哪个更省内存：Q4、Q8？", "Q4 更省内存。"),
    ],
)
def test_picking_one_of_the_offered_options_is_an_answer(question: str, answer: str) -> None:
    assert not check(question, answer).fired


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Which is faster, Q4 or Q8?", "Q4 or Q8 is faster."),  # both options kept
        ("Q4 和 Q8 哪个更快？", "Q4 和 Q8 哪个更快。"),
        ("内存固定时选大模型 Q4 还是小模型 Q8？", "内存固定时要选模型。"),  # neither option
        ("How do I stop or restart the service?", "You stop the service."),  # "or" offering no choice
    ],
)
def test_an_echo_keeping_both_options_or_neither_is_still_reasked(question: str, answer: str) -> None:
    verdict = check(question, answer)
    assert verdict.fired and "restates the question" in verdict.reason
