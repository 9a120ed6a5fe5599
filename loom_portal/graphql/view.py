"""The GraphQL endpoint: signed-in users only; the tenant always comes from the user."""

from django.http import JsonResponse
from graphene_django.views import GraphQLView


class PortalGraphQLView(GraphQLView):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"errors": [{"message": "Sign in to use the GraphQL API."}]}, status=401)
        return super().dispatch(request, *args, **kwargs)
