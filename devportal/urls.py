from django.urls import path

from devportal import views

urlpatterns = [
    path("", views.catalog, name="devportal_catalog"),
    path("apim/", views.apim_inventory, name="devportal_inventory"),
    path("templates/", views.template_gallery, name="devportal_templates"),
    path("guides/<slug:slug>/", views.guide_detail, name="devportal_guide"),
    path("keys/", views.key_list, name="devportal_keys"),
    path("keys/<int:grant_id>/", views.key_detail, name="devportal_key_detail"),
    path("keys/<int:grant_id>/regenerate/", views.key_regenerate, name="devportal_key_regenerate"),
    path("apis/<slug:slug>/", views.api_detail, name="devportal_api"),
    path("apis/<slug:slug>/openapi.json", views.api_openapi, name="devportal_openapi"),
    path("apis/<slug:slug>/swagger/", views.api_swagger, name="devportal_swagger"),
    path("apis/<slug:slug>/snippets/<str:kind>", views.api_snippet, name="devportal_snippet"),
    path("apis/<slug:slug>/dto/<str:kind>", views.api_dto, name="devportal_dto"),
    path("products/<slug:slug>/expose/", views.product_expose, name="devportal_expose"),
    path("products/<slug:slug>/unpublish/", views.product_unpublish, name="devportal_unpublish"),
]
