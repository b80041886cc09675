"""MCP tool servers and what they share: the read-only probe, kubectl passthrough, redaction."""
