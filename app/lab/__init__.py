"""The lab: clients of the service that measure it. evaluation/ scores datasets guarded vs raw; experiments/
runs the latency, non-determinism and over-inference experiments. Everything here reaches the app through
its public API (`from app import ...`), like the views and the benches. This package imports nothing itself.
"""
