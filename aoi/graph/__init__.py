"""The LangGraph agent: state, nodes, prompts, context compression and memory, and model backends."""
