"""OpenAPI (drf-spectacular) description of the portal's own authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "loom_portal.api.BearerTokenAuthentication"
    name = "personalApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "loom_pat_<prefix>_<secret>",
            "description": "A personal API token created on the portal's API tokens page.",
        }
