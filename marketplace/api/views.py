from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from domains.selectors import domain_get
from loom_portal import authz
from loom_portal.choices import SensitivityLabel
from marketplace import selectors
from marketplace.api.contract_serializers import ContractImportResultSerializer, DataContractSerializer
from marketplace.api.serializers import ProductDetailSerializer, ProductSerializer
from marketplace.api.yaml import TextYAMLTextParser, XYAMLTextParser, YAMLRenderer, YAMLTextParser
from marketplace.choices import Freshness, ProductKind, ProductSort
from marketplace.contracts import MEDIA_TYPE, contract_for, parse_contract
from marketplace.forms import ProductSearchForm
from marketplace.services.contracts import product_import_contract

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


# --- ODCS data contracts -------------------------------------------------------------------


class ProductContractView(APIView):
    """A product's Open Data Contract Standard (ODCS v3.0) contract, as YAML (or JSON on request)."""

    renderer_classes = [YAMLRenderer, JSONRenderer]
    policy = {"get": "marketplace.view_dataproduct"}

    @extend_schema(
        operation_id="products_contract_retrieve",
        responses={200: DataContractSerializer, 403: OpenApiResponse(OpenApiTypes.OBJECT),
                   404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, slug):
        product = selectors.product_get(actor=request.user, slug=slug)
        authz.require(request.user, "marketplace.view_dataproduct_details", product)
        contract = contract_for(product, people=selectors.product_people(product))
        response = Response(contract)
        response["Content-Disposition"] = f'inline; filename="{product.slug}.odcs.yaml"'
        return response


class ProductContractImportView(APIView):
    """Create a draft product from an ODCS contract, or update the draft product it names."""

    parser_classes = [YAMLTextParser, XYAMLTextParser, TextYAMLTextParser]
    policy = {"post": "marketplace.add_dataproduct"}

    @extend_schema(
        operation_id="products_import_contract",
        parameters=[OpenApiParameter("domain", str, description="Slug of the domain (else the contract's domain).")],
        request={MEDIA_TYPE: DataContractSerializer},
        responses={201: ContractImportResultSerializer, 200: ContractImportResultSerializer,
                   400: OpenApiResponse(OpenApiTypes.OBJECT, description="Each bad field of the contract, by path."),
                   403: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def post(self, request):
        text = request.data if isinstance(request.data, str) else ""
        slug = request.query_params.get("domain", "").strip()
        if not slug:
            slug = parse_contract(text).domain
        if not slug:
            raise serializers.ValidationError({"domain": ["Give ?domain=<slug> or a domain in the contract."]})
        domain = domain_get(actor=request.user, slug=slug)
        result = product_import_contract(actor=request.user, domain=domain, contract=text)
        product = selectors.product_get(actor=request.user, pk=result.product.pk)
        context = {**self.get_serializer_context(), "details": True, "people": selectors.product_people(product)}
        body = {"created": result.created, "warnings": result.skipped,
                "product": ProductDetailSerializer(product, context=context).data}
        return Response(body, status=201 if result.created else 200)

    def get_serializer_context(self):
        return {"request": self.request, "view": self}
