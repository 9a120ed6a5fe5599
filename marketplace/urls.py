from django.urls import path

from marketplace import views

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("import/contract/", views.contract_import, name="contract_import"),
    path("<slug:slug>/contract.yaml", views.product_contract_download, name="product_contract_download"),
    path("<slug:slug>/", views.product_detail, name="product_detail"),
    path("<slug:slug>/publish/", views.product_status_change, {"action": "publish"}, name="product_publish"),
    path("<slug:slug>/deprecate/", views.product_status_change, {"action": "deprecate"}, name="product_deprecate"),
    path("<slug:slug>/retire/", views.product_status_change, {"action": "retire"}, name="product_retire"),
]
