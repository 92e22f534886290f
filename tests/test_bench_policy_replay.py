"""bench/bench_policy_replay.py's question pool: the eval sets' questions, and none from a set of passages."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_policy_replay", ROOT / "bench" / "bench_policy_replay.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_a_set_of_passages_beside_the_questions_adds_no_question_and_no_crash(tmp_path: Path) -> None:
    rows = {
        "golden.jsonl": [{"id": "g1", "question": "Which port does Ollama use?"}, {"id": "g2", "question": "模型存在哪里？"}],
        "doc_injection.jsonl": [{"id": "d1", "text": "A passage with no question.", "injection": True}],
    }
    for name, records in rows.items():
        (tmp_path / name).write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n", encoding="utf-8")
    assert bench.questions(tmp_path) == ["Which port does Ollama use?", "模型存在哪里？"]


def test_the_repository_eval_sets_give_questions() -> None:
    found = bench.questions()
    assert len(found) > 100 and all(isinstance(q, str) and q.strip() for q in found)
