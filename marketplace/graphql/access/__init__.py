"""The access part of the GraphQL API: requests, grants and API keys, and the viewer's access to a product.

- ``types``: ``AccessRequest``, ``Grant``, ``ApiKey`` (explicit fields: never a key's hash; a new key's
  plaintext only in the ``createApiKey`` payload), ``ViewerAccess`` and ``ProductUsage`` (the fields
  ``Product.viewerAccess`` and ``Product.usage``, batched for a page of products by the selectors'
  ``viewer_access`` part and ``product_page_usage``);
- ``queries``: ``accessRequests(role: MINE | TO_REVIEW, status)`` and ``grants(role: MINE, status)``, Relay
  connections over ``access_request_list`` and ``grant_list`` (``authz.restrict``);
- ``mutations``: ``requestAccess``, ``approveAccessRequest``, ``denyAccessRequest``,
  ``withdrawAccessRequest``, ``revokeGrant``, ``renewGrant`` and ``createApiKey``: the services REST and
  the pages call, with ``errors { field code message }`` instead of exceptions.

Objects are named by their plain database id (``ID``), as ``Product.id`` is.
"""
