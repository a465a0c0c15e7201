"""The HTTP API of API.md: route table, handlers, identity and the one error → response mapping."""
