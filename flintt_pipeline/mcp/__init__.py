"""A read-only MCP server over the analysts' read copy (else the live warehouse, read-only):
tools to list and describe tables, run limited read-only SQL and ask named questions; each
model's SQL as a resource. Served over stdio, or over streamable HTTP behind a bearer token."""
