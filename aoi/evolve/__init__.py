"""The failure-trajectory evolver: name why an episode failed, repair it in the simulator, and turn the verified
repair into reusable guidance and corrective training samples.

`trajectory` reads episodes back from the store; `modes` classifies failures; `symptoms` turns what the agent saw
into a symptom signature; `repair` replays a failed episode up to a branch step and searches for a continuation
the oracle accepts; `lessons` and `samples` turn a verified repair into guidance and training data; `memory` is the
guidance store (SQLite FTS5) and `guidance` the provider the agent asks before every decision.
"""
