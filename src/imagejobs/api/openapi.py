"""The OpenAPI 3.1 description of the API (spec: API.md), served at /api/openapi.json."""

from typing import Any

from .. import VERSION
from ..errors import error_catalog
from ..jobs.failures import FailureCode
from ..jobs.operations import DEFAULT_OPERATIONS, MAX_OPERATIONS_CHARS, OPERATIONS, Operation
from ..jobs.states import JobStatus, TaskStatus
from ..webhooks.callback_urls import MAX_CALLBACK_URL_CHARS

Json = dict[str, Any]

_ERROR = {"$ref": "#/components/responses/Error"}
_TOO_MANY_REQUESTS = {"$ref": "#/components/responses/TooManyRequests"}
_RETRY_AFTER = {
    "description": "Seconds to wait before asking again.",
    "schema": {"type": "integer", "minimum": 0},
}
_PREFERENCE_APPLIED = {
    "description": "`wait=N`: the `wait` preference was honoured (held for at most N seconds; see Prefer).",
    "schema": {"type": "string", "pattern": "^wait=[0-9]+$"},
}
_JOB_HEADERS = {
    "ETag": {"description": "The version of the job resource.", "schema": {"type": "string"}},
    "Retry-After": {**_RETRY_AFTER, "description": "While the job is not final: when to poll again (seconds)."},
    "Preference-Applied": _PREFERENCE_APPLIED,
}
_JOB_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
_OPERATION = {
    "name": "operation",
    "in": "path",
    "required": True,
    "schema": {"$ref": "#/components/schemas/Operation"},
}
_USER_HEADER = {"$ref": "#/components/parameters/DevUser"}
# Operations on the job a response describes (OpenAPI links: what a client, or a stateful
# test, can do next with `job.id`).
_JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"id": "$response.body#/job/id"}}
    for name, operation in (
        ("GetJob", "getJob"),
        ("GetOriginal", "getOriginal"),
        ("GetResult", "getResult"),
        ("CancelJob", "cancelJob"),
        ("DeleteJob", "deleteJob"),
    )
}
_JOB_LINKS["GetFirstTaskResult"] = {
    "operationId": "getTaskResult",
    "parameters": {"id": "$response.body#/job/id", "operation": "$response.body#/job/tasks/0/operation"},
}


def _errors(*statuses: str) -> Json:
    return dict.fromkeys(statuses, _ERROR)


def _json(schema_ref: str, description: str) -> Json:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _with_links(response: Json) -> Json:
    return {**response, "links": _JOB_LINKS}


def _png(description: str) -> Json:
    return {"description": description, "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}


def _upload_operation(operation_id: str, summary: str) -> Json:
    return {
        "operationId": operation_id,
        "summary": summary,
        "parameters": [
            _USER_HEADER,
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            },
        ],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "operations": {
                                "type": "string",
                                "maxLength": MAX_OPERATIONS_CHARS,
                                "default": ",".join(DEFAULT_OPERATIONS),
                                "description": "Comma-separated operations to run, one task each "
                                f"({', '.join(OPERATIONS)}); duplicates are ignored. May be repeated.",
                            },
                            "callback_url": {
                                "type": "string",
                                "format": "uri",
                                "maxLength": MAX_CALLBACK_URL_CHARS,
                                "description": "Where to POST the job's one signed event (Standard Webhooks) once "
                                'it is terminal. https to a public host (see API.md, "Webhooks"); otherwise '
                                "422 invalid_callback_url; 422 webhooks_not_configured without WEBHOOK_SECRET. An "
                                "Idempotency-Key replay must name the same callback_url.",
                            },
                        },
                    }
                }
            },
        },
        "responses": {
            "202": _with_links(_json("JobEnvelope", "Job created and queued")),
            "200": _with_links(_json("JobEnvelope", "The job an earlier request with this Idempotency-Key created")),
            **_errors("400", "401", "403", "409", "413", "415", "422", "503"),
            # rate_limited or too_many_active_jobs; a replay (the 200 above) is never refused so
            "429": _TOO_MANY_REQUESTS,
        },
    }


def openapi_document() -> Json:
    image_info: Json = {
        "type": "object",
        "required": ["size", "width", "height", "content_type"],
        "properties": {
            "size": {"type": "integer"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "content_type": {"const": "image/png"},
        },
    }
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    failure: Json = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "enum": [c.value for c in FailureCode]},
            "message": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Async image worker",
            "version": VERSION,
            "description": "Upload a PNG, poll the job, download the result of each of its operations "
            "(grayscale, thumbnail, metadata).",
        },
        "paths": {
            "/api/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Liveness",
                    "security": [],
                    "responses": {"200": _json("Health", "The Worker is up")},
                }
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.1 document",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/api/me": {
                "get": {
                    "operationId": "me",
                    "summary": "The signed-in user",
                    "parameters": [_USER_HEADER],
                    "responses": {"200": _json("Me", "The user"), **_errors("400", "401", "503")},
                }
            },
            "/api/jobs": {
                "post": _upload_operation("createJob", "Upload a PNG and queue its conversion"),
                "get": {
                    "operationId": "listJobs",
                    "summary": "The user's jobs, newest first",
                    "parameters": [
                        _USER_HEADER,
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                        },
                        {
                            "name": "cursor",
                            "in": "query",
                            "description": "Opaque: the next_cursor of the previous page.",
                            "schema": {"type": "string", "maxLength": 64},
                        },
                        {"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}},
                    ],
                    "responses": {
                        "200": _json("JobList", "A page of jobs"),
                        **_errors("400", "401", "503"),
                    },
                },
            },
            "/api/upload": {"post": _upload_operation("upload", "Alias of POST /api/jobs")},
            "/api/jobs/{id}": {
                "get": {
                    "operationId": "getJob",
                    "summary": "One job",
                    "parameters": [
                        _JOB_ID,
                        _USER_HEADER,
                        {"name": "If-None-Match", "in": "header", "schema": {"type": "string"}},
                        {
                            "name": "Prefer",
                            "in": "header",
                            "description": (
                                "RFC 7240. `wait=N` (1–18 ASCII digits; N is capped at 25) with an If-None-Match "
                                "that names the current ETag holds the response until the job changes (200) or N "
                                "seconds pass (304); a final job is answered at once. Other preferences, a `wait` "
                                "that is not ASCII digits and a header of more than 16 preferences are ignored "
                                "(RFC 7240 §2)."
                            ),
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": {**_json("JobEnvelope", "The job"), "headers": _JOB_HEADERS},
                        "304": {
                            "description": "Unchanged since the given ETag (after the wait, if one was applied)",
                            "headers": _JOB_HEADERS,
                        },
                        **_errors("400", "401", "404", "503"),
                    },
                },
                "delete": {
                    "operationId": "deleteJob",
                    "summary": "Delete a job and its images",
                    "parameters": [_JOB_ID, _USER_HEADER],
                    "responses": {"204": {"description": "Deleted"}, **_errors("400", "401", "403", "404", "503")},
                },
            },
            "/api/jobs/{id}/result": {
                "get": {
                    "operationId": "getResult",
                    "summary": "The grayscale PNG",
                    "parameters": [_JOB_ID, _USER_HEADER],
                    "responses": {
                        "200": _png("The grayscale image"),
                        "304": {"description": "Unchanged"},
                        **_errors("400", "401", "404", "409", "503"),
                    },
                }
            },
            "/api/jobs/{id}/results/{operation}": {
                "get": {
                    "operationId": "getTaskResult",
                    "summary": "One task's result (PNG for grayscale and thumbnail, JSON for metadata)",
                    "parameters": [_JOB_ID, _OPERATION, _USER_HEADER],
                    "responses": {
                        "200": {
                            "description": "The task's result",
                            "content": {
                                "image/png": {"schema": {"type": "string", "format": "binary"}},
                                "application/json": {"schema": {"type": "object"}},
                            },
                        },
                        "304": {"description": "Unchanged"},
                        **_errors("400", "401", "404", "409", "503"),
                    },
                }
            },
            "/api/jobs/{id}/original": {
                "get": {
                    "operationId": "getOriginal",
                    "summary": "The uploaded PNG, unchanged",
                    "parameters": [_JOB_ID, _USER_HEADER],
                    "responses": {
                        "200": _png("The original image"),
                        "304": {"description": "Unchanged"},
                        **_errors("400", "401", "404", "503"),
                    },
                }
            },
            "/api/jobs/{id}/cancel": {
                "post": {
                    "operationId": "cancelJob",
                    "summary": "Cancel a pending or in-progress job",
                    "parameters": [_JOB_ID, _USER_HEADER],
                    "responses": {
                        "200": _json("JobEnvelope", "The cancelled job"),
                        **_errors("400", "401", "403", "404", "409", "503"),
                    },
                }
            },
        },
        "components": {
            "parameters": {
                "DevUser": {
                    "name": "X-Dev-User",
                    "in": "header",
                    "required": False,
                    "description": "Local dev mode only (AUTH_MODE=dev): the user's e-mail.",
                    "schema": {"type": "string"},
                }
            },
            "securitySchemes": {
                "cloudflareAccess": {"type": "apiKey", "in": "header", "name": "Cf-Access-Jwt-Assertion"}
            },
            "responses": {
                "Error": _json("Error", "An error"),
                "TooManyRequests": {
                    **_json("Error", "Throttled: `rate_limited` or `too_many_active_jobs`"),
                    "headers": {"Retry-After": {**_RETRY_AFTER, "required": True}},
                },
            },
            "schemas": {
                "Status": {"type": "string", "enum": [s.value for s in JobStatus]},
                "TaskStatus": {"type": "string", "enum": [s.value for s in TaskStatus]},
                "Operation": {"type": "string", "enum": [o.value for o in Operation]},
                "Task": {
                    "type": "object",
                    "required": ["operation", "status", "attempts", "started_at", "completed_at", "error", "result"],
                    "properties": {
                        "operation": {"$ref": "#/components/schemas/Operation"},
                        "status": {"$ref": "#/components/schemas/TaskStatus"},
                        "attempts": {"type": "integer", "minimum": 0},
                        "started_at": nullable_time,
                        "completed_at": nullable_time,
                        "error": {"oneOf": [failure, {"type": "null"}]},
                        "result": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["url", "content_type", "bytes"],
                                    "properties": {
                                        "url": {"type": "string"},
                                        "content_type": {"type": "string"},
                                        "bytes": {"type": "integer", "minimum": 0},
                                        "width": {"type": "integer"},
                                        "height": {"type": "integer"},
                                    },
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string", "enum": list(error_catalog())},
                                "message": {"type": "string"},
                            },
                        },
                        "job": {"$ref": "#/components/schemas/Job"},
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "version"],
                    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
                },
                "Me": {
                    "type": "object",
                    "required": ["user", "limits"],
                    "properties": {
                        "user": {"type": "object", "required": ["email"], "properties": {"email": {"type": "string"}}},
                        "limits": {
                            "type": "object",
                            "required": ["max_upload_bytes", "max_pixels"],
                            "description": "The upload limits this deployment enforces.",
                            "properties": {"max_upload_bytes": {"type": "integer"}, "max_pixels": {"type": "integer"}},
                        },
                    },
                },
                "Job": {
                    "type": "object",
                    "required": [
                        "id",
                        "status",
                        "created_at",
                        "updated_at",
                        "started_at",
                        "completed_at",
                        "attempts",
                        "original",
                        "result",
                        "error",
                        "tasks",
                        "webhook",
                        "links",
                    ],
                    "properties": {
                        "id": {"type": "string", "format": "uuid"},
                        "status": {"$ref": "#/components/schemas/Status"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "updated_at": {"type": "string", "format": "date-time"},
                        "started_at": nullable_time,
                        "completed_at": nullable_time,
                        "attempts": {"type": "integer", "minimum": 0},
                        "original": {
                            **image_info,
                            "required": [*image_info["required"], "name"],
                            "properties": {**image_info["properties"], "name": {"type": "string"}},
                        },
                        "result": {"oneOf": [image_info, {"type": "null"}]},
                        "error": {
                            "oneOf": [
                                {
                                    **failure,
                                    "required": [*failure["required"], "tasks"],
                                    "properties": {
                                        **failure["properties"],
                                        "tasks": {
                                            "type": "array",
                                            "description": "The operations whose tasks failed.",
                                            "items": {"$ref": "#/components/schemas/Operation"},
                                        },
                                    },
                                },
                                {"type": "null"},
                            ]
                        },
                        "tasks": {
                            "type": "array",
                            "description": "One task per operation, in the order of the Operation enum.",
                            "items": {"$ref": "#/components/schemas/Task"},
                        },
                        "webhook": {
                            "description": "The callback and its event's delivery; null without callback_url.",
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["url", "status", "attempts", "last_status_code", "last_attempt_at"],
                                    "properties": {
                                        "url": {"type": "string", "format": "uri"},
                                        "status": {"enum": ["pending", "delivered", "failed"]},
                                        "attempts": {"type": "integer", "minimum": 0},
                                        "last_status_code": {"type": ["integer", "null"]},
                                        "last_attempt_at": nullable_time,
                                    },
                                },
                                {"type": "null"},
                            ],
                        },
                        "links": {
                            "type": "object",
                            "required": ["self", "original", "result"],
                            "properties": {
                                "self": {"type": "string"},
                                "original": {"type": "string"},
                                "result": {"type": "string"},
                            },
                        },
                    },
                },
                "JobEnvelope": {
                    "type": "object",
                    "required": ["job"],
                    "properties": {"job": {"$ref": "#/components/schemas/Job"}},
                },
                "JobList": {
                    "type": "object",
                    "required": ["jobs", "next_cursor"],
                    "properties": {
                        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
            },
        },
        "security": [{"cloudflareAccess": []}],
    }
