"""Per-corpus calibration of the relevance guardrail (`guarded-rag calibrate`): probes built from the indexed
corpus and a bundled set of general questions, a threshold sweep, and a policy TOML holding the result.

App layer (lab): a client of the service's public API.
"""
