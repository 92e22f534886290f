"""Heuristics that score free text: asking back, declining, over-inference, gold matching, schema check."""

from __future__ import annotations

from app.lab.evaluation import heuristics as h


def test_asks_question_ignores_an_echo_of_the_question() -> None:
    q = "Is this plan reasonable?"
    assert not h.asks_question("Is this plan reasonable? Yes, it is a solid plan.", echo=q)
    assert h.asks_question("Which plan do you mean?", echo=q)
    assert h.asks_question("你指的是哪个方案？")


def test_over_inference_needs_a_confident_answer() -> None:
    assert h.over_inferred("Yes, the plan is reasonable and well structured.", question="Is this plan reasonable?")
    assert not h.over_inferred("Could you provide the plan?")
    assert not h.over_inferred("You did not provide the plan, so I cannot determine that.")
    assert not h.over_inferred("请提供方案的具体内容。")
    assert not h.over_inferred("   ")


def test_declines() -> None:
    assert h.declines("The sources do not contain this information.")
    assert h.declines("文档中没有提到这个问题。")
    assert not h.declines("Ollama listens on port 11434.")
    assert not h.declines(None)


def test_gold_match_keywords_all_and_spans_any() -> None:
    assert h.gold_match("Use `ollama run` on port 11434", ("11434", "OLLAMA RUN"), ()) is True
    assert h.gold_match("port 11434", ("11434", "ollama run"), ()) is False
    assert h.gold_match("答案是光荣和 ω-force 合作", (), ("光荣和ω-force", "别的")) is True
    assert h.gold_match("anything", (), ()) is None
    assert h.gold_match(None, ("x",), ()) is False


def test_schema_check_accepts_only_one_clean_object() -> None:
    ok, err = h.schema_check('{"answer": "line one\nline two", "citations": ["S1"]}')
    assert ok is not None and err is None  # a raw newline in a string is what llama.cpp grammars emit
    for bad in (
        'Sure! {"answer": "x", "citations": []}',
        '```json\n{"answer": "x", "citations": []}\n```',
        '["x"]',
        '{"answer": ""}',
    ):
        parsed, err = h.schema_check(bad)
        assert parsed is None and err
