from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from marketplace import selectors
from marketplace.api.serializers import ProductDetailSerializer, ProductSerializer
from marketplace.choices import Freshness, ProductKind, ProductSort
from marketplace.forms import ProductSearchForm

FILTER_PARAMETERS = [
    OpenApiParameter("search", str, description="Words to find (web-search syntax: quotes, OR, -word); typos tolerated."),
    OpenApiParameter("domain", str, description="Domain slug."),
    OpenApiParameter("kind", str, enum=ProductKind.values),
    OpenApiParameter("sensitivity", str, enum=SensitivityLabel.values),
    OpenApiParameter("tag", str),
    OpenApiParameter("freshness", str, enum=Freshness.values),
    OpenApiParameter("owner", int, description="User id of an owner."),
    OpenApiParameter("sort", str, enum=ProductSort.values),
]


class FilterErrorSerializer(serializers.Serializer):
    """Each invalid filter, with what is wrong with it."""

    search = serializers.ListField(child=serializers.CharField(), required=False)
    domain = serializers.ListField(child=serializers.CharField(), required=False)
    kind = serializers.ListField(child=serializers.CharField(), required=False)
    sensitivity = serializers.ListField(child=serializers.CharField(), required=False)
    tag = serializers.ListField(child=serializers.CharField(), required=False)
    freshness = serializers.ListField(child=serializers.CharField(), required=False)
    owner = serializers.ListField(child=serializers.CharField(), required=False)
    sort = serializers.ListField(child=serializers.CharField(), required=False)


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Data products of the caller's tenant that the caller may see."""

    serializer_class = ProductSerializer
    lookup_field = "slug"
    policy = {"list": "marketplace.view_dataproduct", "retrieve": "marketplace.view_dataproduct"}

    def _filters(self) -> dict:
        params = self.request.query_params
        form = ProductSearchForm({name: params.get(name, "") for name in ProductSearchForm.FILTERS})
        if not form.is_valid():
            raise serializers.ValidationError({field: list(errors) for field, errors in form.errors.items()})
        return form.filters()

    def get_queryset(self):
        if self.action == "list":
            return selectors.product_filter(actor=self.request.user, **self._filters()).prefetch_related("tags")
        return selectors.product_list(actor=self.request.user)

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: ProductSerializer(many=True), 400: FilterErrorSerializer})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: ProductDetailSerializer, 404: OpenApiResponse(OpenApiTypes.OBJECT)})
    def retrieve(self, request, *args, **kwargs):
        product = selectors.product_get(actor=request.user, slug=kwargs["slug"])
        context = {
            **self.get_serializer_context(),
            "details": authz.can(request.user, "marketplace.view_dataproduct_details", product),
            "people": selectors.product_people(product),
        }
        return Response(ProductDetailSerializer(product, context=context).data)
