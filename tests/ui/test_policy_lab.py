"""Traces page, policy lab: the What-if panel replays stored traces under edited thresholds (validated like the
Settings page) and lists the flipped decisions with links to their timelines; a decision is labelled under a
trace's timeline; the labels tab scores guardrails; a sweep draws its curves and suggests a value."""

from __future__ import annotations

from tests.ui.conftest import EMBEDDED, GOOD, TIMEOUT, texts

# Relevance 0.38 and 0.47 on the sample documents (fake embedder, hybrid retrieval): answered under the default
# bar (0.344), refused under a strict one.
ANSWERABLE = (
    "Which port does the Ollama server use on Windows laptops?",
    "What port does Ollama use?",
)
BENIGN_REFUSED = "On which port does Ollama listen behind a corporate proxy?"  # relevance 0.28: refused, a false block


def seeded(make_app):
    at, svc, _ = make_app("traces", scripts={EMBEDDED: [GOOD, GOOD]}, run=False)
    for question in ANSWERABLE:
        assert svc.ask(question).status == "answered"
    svc.ask("Is this plan reasonable?")
    assert svc.ask(BENIGN_REFUSED).status == "refused"
    svc.ask("What is the best pizza recipe in Naples?")
    at.run(timeout=TIMEOUT)
    assert not at.exception
    return at, svc


def replay(at, **values):
    for key, value in values.items():
        at.number_input(key=f"wi-0-relevance-{key}").set_value(value)
    next(b for b in at.button if b.label == "Replay under this policy").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception


def test_what_if_shows_which_past_answers_would_have_been_refused(make_app):
    at, svc = seeded(make_app)
    replay(at, min_hybrid=0.9)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Replayed"] == "5" and metrics["Not replayable"] == "0"
    assert metrics["Outcomes changed"] == "2" and metrics["Decisions flipped"] == "2"
    flips = next(df.value for df in at.dataframe if "decision" in df.value.columns)
    answered = {r.trace_id for r in svc.traces.list() if r.status == "answered"}
    assert set(flips["guardrail"]) == {"relevance"} and set(flips["decision"]) == {"passed → fired"}
    assert set(flips["outcome"]) == {"answered → refused"}
    assert {link.split("=", 1)[1] for link in flips["trace"]} == answered  # each row links to its trace's timeline
    assert "Download policy (TOML)" in [b.label for b in at.get("download_button")]


def test_what_if_refuses_an_invalid_value_like_the_settings_page(make_app):
    at, _ = seeded(make_app)
    at.number_input(key="wi-0-relevance-min_hybrid").set_value(7.0)
    next(b for b in at.button if b.label == "Replay under this policy").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any("Not applied" in e.value and "relevance" in e.value for e in at.error)
    assert "Replayed" not in [m.label for m in at.metric]  # nothing was replayed


def test_label_a_decision_then_see_quality_false_blocks_and_a_sweep(make_app):
    at, svc = seeded(make_app)
    refused = next(r for r in svc.traces.list() if r.question == BENIGN_REFUSED)
    at.selectbox(key="tr_detail").set_value(refused.trace_id)
    at.run(timeout=TIMEOUT)
    assert "Replayable" in texts(at)
    choice = at.selectbox(key=f"lb-d-{refused.trace_id}")
    relevance = next(i for i in choice.options if i.startswith("relevance"))
    choice.set_value(choice.options.index(relevance) if isinstance(choice.value, int) else relevance)
    at.radio(key=f"lb-v-{refused.trace_id}").set_value("wrong")
    at.text_input(key=f"lb-n-{refused.trace_id}").set_value("the proxy page answers it")
    next(b for b in at.button if b.label == "Save label").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    labels = svc.traces.get(refused.trace_id).labels
    assert [(lb.target, lb.correct, lb.note) for lb in labels] == [("relevance", False, "the proxy page answers it")]
    quality = next(df.value for df in at.dataframe if "precision" in df.value.columns)
    assert list(quality["guardrail"]) == ["relevance"] and list(quality["false-block rate"]) == [1.0]
    blocked = next(df.value for df in at.dataframe if "note" in df.value.columns and "guardrail" in df.value.columns)
    assert list(blocked["note"]) == ["the proxy page answers it"]
    at.selectbox(key="sw_param").set_value("relevance.min_hybrid")
    at.number_input(key="sw_start_relevance.min_hybrid").set_value(0.0)
    at.number_input(key="sw_stop_relevance.min_hybrid").set_value(0.5)
    at.text_input(key="sw_target").set_value("false_block<=0")
    next(b for b in at.button if b.label == "Sweep").click()
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert "Suggested value:" in texts(at)
