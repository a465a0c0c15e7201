"""The HTTP API of docs/API.md: route table, handlers, parameters, cross-site refusal and the one
error → response mapping. Identity is the `identity` package's."""
