"""Publishing data products to Azure API Management (DESIGN.md §4, flow 4).

``openapi`` generates a product's data-API document, ``services`` pushes API, product, link,
policy and subscriptions through azure-mgmt-apimanagement, ``tasks`` are the Celery adapters,
``policies`` the authorization rules and ``selectors`` the reads.
"""
