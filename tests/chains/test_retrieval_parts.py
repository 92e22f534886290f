"""The retrieval checks run in two parts: the ones that leave passages out (context_injection) on every retrieved
passage, then the others (relevance) on the passages kept. A planted passage written to match the question must
not make relevance pass for off-topic passages the model would then answer from; what each part saw is recorded."""

from __future__ import annotations

from chains import QARequest, TraceCollector, run_qa
from guardrails import Chunk
from tests.fakes import scripted
from tests.planted import PLANTED, Q

GOOD = '{"answer": "Ollama listens on port 11434 by default.", "citations": ["S1"]}'
OFF_TOPIC = Chunk(
    chunk_id="b1",
    source="bread.md",
    text="A sourdough starter needs flour and water, fed daily at room temperature.",
    score=0.08,
    lexical=0.0,
)
PORT = Chunk(
    chunk_id="o1",
    source="ollama-install.md",
    text="Ollama listens on port 11434 by default. Set OLLAMA_HOST to change the address it binds to.",
    score=0.81,
    lexical=0.7,
)


def steps(result) -> list[str]:
    return [f"{e.step}:{e.name}:{e.outcome}" for e in result.events if e.step == "retrieval"]


def verdict(result, name: str):
    return next(v for v in result.verdicts if v.name == name)


def test_a_planted_on_topic_passage_does_not_vouch_for_the_off_topic_rest(make_pipeline):
    llm = scripted(model="qwen")  # no reply scripted: a model call would fail loudly
    pipe, _ = make_pipeline(("primary", llm, {}), chunks=[PLANTED, OFF_TOPIC])
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "refused" and result.llm_calls == 0
    assert result.message.startswith("not in your documents")
    relevance = verdict(result, "relevance")
    assert relevance.fired and relevance.details["searched"] == ["bread.md"]
    assert not any("planted.md" in e for e in relevance.evidence)  # its evidence cites no quarantined passage
    assert verdict(result, "context_injection").details["dropped"] == ["p1"]
    # the passage left out first, then the judgment of what is left
    assert steps(result) == ["retrieval:search:ok", "retrieval:context_injection:fired", "retrieval:relevance:fired"]


def test_a_normal_question_is_answered_as_before(make_pipeline):
    llm = scripted(GOOD, model="qwen")
    pipe, _ = make_pipeline(("primary", llm, {}), chunks=[PORT, OFF_TOPIC])
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered" and result.llm_calls == 1
    assert [c.chunk_id for c in result.retrieved] == ["o1", "b1"]
    relevance = verdict(result, "relevance")
    assert not relevance.fired and relevance.details["searched"] == ["ollama-install.md", "bread.md"]
    assert steps(result) == ["retrieval:search:ok", "retrieval:context_injection:passed", "retrieval:relevance:passed"]


def test_a_planted_passage_beside_a_relevant_one_is_dropped_and_relevance_judges_the_relevant_one(make_pipeline):
    llm = scripted(GOOD, model="qwen")
    pipe, _ = make_pipeline(("primary", llm, {}), chunks=[PLANTED, PORT])
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "answered"
    relevance = verdict(result, "relevance")
    assert not relevance.fired and relevance.details["searched"] == ["ollama-install.md"]
    assert relevance.score == round(PORT.score + PORT.lexical, 4)  # the relevant passage, not the planted one
    assert "1234" not in llm.calls[0]["messages"][-1].content


def test_every_passage_quarantined_is_refused_before_relevance(make_pipeline):
    pipe, _ = make_pipeline(("primary", scripted(model="qwen"), {}), chunks=[PLANTED])
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "refused" and result.llm_calls == 0
    assert "quarantined" in result.message
    assert steps(result) == ["retrieval:search:ok", "retrieval:context_injection:fired"]


def test_nothing_retrieved_is_still_not_in_the_documents(make_pipeline):
    pipe, _ = make_pipeline(("primary", scripted(model="qwen"), {}), chunks=[])
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "refused" and result.message == "not in your documents: nothing was retrieved"


def test_each_part_records_the_passages_its_checks_saw(make_pipeline):
    pipe, _ = make_pipeline(("primary", scripted(model="qwen"), {}), chunks=[PLANTED, OFF_TOPIC])
    collector = TraceCollector()
    run_qa(pipe, QARequest(question=Q), collector=collector)
    retrieval = [c for c in collector.inputs if c.stage == "retrieval"]
    assert [(c.part, [v.name for v in c.verdicts], [ch.chunk_id for ch in c.context.chunks]) for c in retrieval] == [
        ("filter", ["context_injection"], ["p1", "b1"]),
        ("judge", ["relevance"], ["b1"]),
    ]


def test_a_fallback_says_that_passages_were_left_out(make_pipeline):
    """The h69 walkthrough: the passage holding the answer was quarantined whole, the model's replies were unusable,
    and the message blamed 'no passage matches closely enough' without a word about the passage left out."""
    junk = "I cannot produce JSON today."
    llm = scripted(junk, junk, junk, model="qwen")  # the first answer and its two re-asks: all unusable
    pipe, _ = make_pipeline(("primary", llm, {}), chunks=[PLANTED, PORT], reasks=2)
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "fallback" and verdict(result, "context_injection").details["dropped"] == ["p1"]
    assert "1 retrieved passage(s) were left out because they contain text addressed to the AI" in result.message
    zh = run_qa(
        make_pipeline(("primary", scripted(junk, junk, junk, model="qwen"), {}), chunks=[PLANTED, PORT], reasks=2)[0],
        QARequest(question="Ollama 默认监听哪个端口？ Which port does Ollama listen on by default?"),
    )
    assert zh.status == "fallback" and "另有 1 个检索到的段落" in zh.message


def test_a_fallback_with_nothing_left_out_says_nothing_of_it(make_pipeline):
    junk = "I cannot produce JSON today."
    pipe, _ = make_pipeline(("primary", scripted(junk, junk, junk, model="qwen"), {}), chunks=[PORT], reasks=2)
    result = run_qa(pipe, QARequest(question=Q))
    assert result.status == "fallback" and "left out" not in result.message
