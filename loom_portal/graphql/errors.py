"""Mutations answer with typed errors (``errors { field code message }``) instead of raising.

``mutation_errors`` turns what the services and ``authz`` raise into those errors: ``Http404`` (hidden or
missing: NOT_FOUND), ``PermissionDenied`` or ``PermissionError`` (visible but not allowed: PERMISSION_DENIED;
services raise the latter for rules beyond the policy, e.g. nobody approves their own request, as REST maps
it to 403) and ``ValidationError`` (one INVALID error per field and message).
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404
from graphene.utils.str_converters import to_camel_case

from loom_portal.graphql.types import ErrorCode, FieldError

#: What a mutation catches and reports; anything else is a bug and surfaces as such.
REPORTED = (Http404, PermissionDenied, PermissionError, ValidationError)


def mutation_errors(exc: Exception, *, not_found_field: str | None = None, not_found: str = "") -> list[FieldError]:
    if isinstance(exc, Http404):
        return [FieldError(field=not_found_field, code=ErrorCode.NOT_FOUND, message=not_found or "Not found.")]
    if isinstance(exc, PermissionDenied | PermissionError):
        message = str(exc) or "You do not have permission to do this."
        return [FieldError(field=None, code=ErrorCode.PERMISSION_DENIED, message=message)]
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [
                FieldError(field=None if name == NON_FIELD_ERRORS else to_camel_case(name), code=ErrorCode.INVALID,
                           message=message)
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        return [FieldError(field=None, code=ErrorCode.INVALID, message=message) for message in exc.messages]
    raise TypeError(f"mutation_errors cannot report {type(exc).__name__}") from exc


def invalid(field: str, message: str) -> list[FieldError]:
    return [FieldError(field=field, code=ErrorCode.INVALID, message=message)]
