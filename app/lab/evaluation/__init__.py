"""The evaluation lab: golden and third-party sets run through the guarded chain and through the raw model,
scored side by side (app layer, under the CLI `eval` command and the quality gate).

Import the submodules (datasets, runner, metrics, report, suite); this package imports nothing itself so that
every `guarded-rag` command, which registers `eval`, does not pay for matplotlib and friends.
"""
