"""The graph's nodes: reason (the Observer), observe (the Probe), propose + approve (the human checkpoint),
act (the Executor) and submit."""
