from __future__ import annotations

import pytest

from chains import GenerationLadder, LadderPolicy, ModelRung, QAConfig, QAPipeline
from guardrails import build_guardrails, load_policy
from tests.fakes import FixedRetriever, make_chunks

NO_WAIT = {"multiplier": 0.0, "max": 0.0, "jitter": 0.0}

DOCS = make_chunks(
    [
        ("ollama-install.md", "Ollama listens on port 11434 by default. Set OLLAMA_HOST to change the address it binds to."),
        (
            "modelfile.md",
            "In a Modelfile the temperature parameter defaults to 0.8; lower values make output more deterministic.",
        ),
    ]
)


@pytest.fixture
def guardrails():
    return build_guardrails(load_policy())


DEFAULT_CONFIG = QAConfig()


@pytest.fixture
def make_pipeline(guardrails):
    def make(*rungs, chunks=DOCS, retries=1, reasks=2, config=DEFAULT_CONFIG, transport=(ConnectionError, TimeoutError)):
        ladder = GenerationLadder(
            rungs=tuple(ModelRung(name=name, model=llm.model, backend="ollama", llm=llm, **extra) for name, llm, extra in rungs),
            output_guardrails=guardrails["output"],
            policy=LadderPolicy(retries=retries, reasks=reasks, transport_errors=transport, backoff=NO_WAIT),
        )
        retriever = FixedRetriever(chunks)
        pipe = QAPipeline(
            guardrails={"input": guardrails["input"], "retrieval": guardrails["retrieval"]},
            retrieve=retriever,
            ladder=ladder,
            config=config,
        )
        return pipe, retriever

    return make
