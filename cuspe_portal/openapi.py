"""The OpenAPI document: what the generated schema adds for every client.

Every operation lists the errors it can answer (400, 401, 403, 404, 412, 429) and the
validators it sends (ETag, Last-Modified), so a client generated from the schema knows them.
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA = {
    "anyOf": [
        {
            "type": "object",
            "description": "Each field or parameter (or `non_field_errors`) with its problems.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        {**ERROR_SCHEMA, "description": "A body that could not be read at all."},
    ]
}
VALIDATOR_HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "Changes whenever the body does; send it back in If-None-Match or If-Match.",
    },
    "Last-Modified": {
        "schema": {"type": "string"},
        "description": "When what this shows last changed; send it back in If-Modified-Since.",
    },
}


def error(description, schema=ERROR_SCHEMA, headers=None):
    response = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        response["headers"] = headers
    return response


class PortalAutoSchema(AutoSchema):
    """The generated schema, plus what every client must handle: the errors and validators."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        reading = method in ("GET", "HEAD")
        for code in ("200", "201"):
            if code in responses:
                responses[code].setdefault("headers", {}).update(VALIDATOR_HEADERS)
        if reading:
            responses["304"] = {
                "description": "Not modified: your copy (If-None-Match) is current."
            }
        if method == "GET" and self._is_list_view() or method in ("POST", "PUT", "PATCH"):
            responses["400"] = error(
                "A filter, page size or field value that cannot be used.", FIELD_ERRORS_SCHEMA
            )
        if not reading:
            responses["401"] = error(
                "No credentials: send `Authorization: Token <key>` (issued in the admin)."
            )
            responses["403"] = error("Your account may not do this.")
        if "{" in self.path or (method == "GET" and self._is_list_view()):
            responses["404"] = error("Not found, not public, or a page past the end.")
        if method in ("PUT", "PATCH"):
            responses["412"] = error("If-Match no longer matches: it was changed meanwhile.")
        responses["429"] = error(
            "Too many anonymous requests.",
            headers={"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
        )
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method.upper() in ("PUT", "PATCH"):
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag you read; if it has changed since, the answer is 412.",
                )
            )
        return parameters


def document_csv_as_text(result, generator, request, public):
    """A spectacular hook: a `text/csv` body is a CSV file, not JSON in another dress."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if "text/csv" in content:
                    content["text/csv"] = {
                        "schema": {
                            "type": "string",
                            "description": "Every matching row (not paginated), with a header.",
                        }
                    }
    return result
