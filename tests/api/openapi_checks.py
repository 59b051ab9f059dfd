"""Check JSON against the OpenAPI document: a schema of it, a request body, an answer
as an operation declares it (status, headers, media type, body)."""

from __future__ import annotations

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

FORMATS = Draft202012Validator.FORMAT_CHECKER


def validator_at(doc: dict, *pointer: str, formats: FormatChecker = FORMATS
                 ) -> Draft202012Validator:
    """A JSON Schema validator for the schema at ``pointer`` (its keys) in ``doc``,
    resolving the document's $refs."""
    escaped = "/".join(p.replace("~", "~0").replace("/", "~1") for p in pointer)
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return Draft202012Validator({"$ref": f"urn:openapi#/{escaped}"},
                                registry=Registry().with_resource("urn:openapi", resource),
                                format_checker=formats)


def schema_validator(doc: dict, name: str) -> Draft202012Validator:
    """A JSON Schema validator for components.schemas[name]."""
    return validator_at(doc, "components", "schemas", name)


def request_validator(doc: dict, path: str, method: str) -> Draft202012Validator:
    """A JSON Schema validator for the JSON body of ``method path``."""
    return validator_at(doc, "paths", path, method, "requestBody", "content",
                        "application/json", "schema")


def is_valid(doc: dict, name: str, instance: object) -> bool:
    return schema_validator(doc, name).is_valid(instance)


def schema_of(doc: dict, entity: str) -> str:
    """The name the generator gave ``entity``'s record schema (what a create answers)."""
    created = doc["paths"][f"/api/{entity}"]["post"]["responses"]["201"]
    return created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


def declared_answer(doc: dict, path: str, method: str, response,  # type: ignore[no-untyped-def]
                    formats: FormatChecker = FORMATS) -> object:
    """Check ``response`` against what the document declares for ``method path``: its
    status is listed, with the headers and the media type it names, and a JSON body
    matches the schema; the body (parsed if JSON)."""
    status = str(response.status_code)
    answers = doc["paths"][path][method]["responses"]
    assert status in answers, (method, path, status, response.get_data(as_text=True))
    pointer = ["paths", path, method, "responses", status]
    answer = answers[status]
    if "$ref" in answer:  # a shared error response
        pointer = answer["$ref"][2:].split("/")
        answer = doc["components"]["responses"][pointer[-1]]
    missing = [h for h in answer.get("headers", {}) if h not in response.headers]
    assert not missing, (method, path, status, missing)
    if "content" not in answer:
        assert not response.data
        return None
    assert response.mimetype in answer["content"], (method, path, response.mimetype)
    if response.mimetype != "application/json":
        textual = response.mimetype.startswith("text/") or "json" in response.mimetype
        return response.get_data(as_text=True) if textual else response.get_data()
    validator = validator_at(doc, *pointer, "content", "application/json", "schema",
                             formats=formats)
    errors = [e.message for e in validator.iter_errors(response.json)]
    assert not errors, (method, path, status, errors)
    return response.json
