"""The Flask face of metacrm: REST API, meta API, OpenAPI."""
