"""Reserved: the access part of the GraphQL API, added once marketplace's access services land.

Planned shape (issue 6), following the catalog modules next to this one:

- types: ``AccessRequest``, ``Grant``, ``ApiKey`` (DjangoObjectType with explicit ``fields``), and
  ``ProductType.viewerAccess`` (the viewer's own request and grant state), batched for a page of products
  by one more ``product_prefetch`` part (e.g. ``"viewer_access"``) in ``marketplace.selectors``;
- ``AccessQuery``: ``accessRequests(role: MINE | TO_REVIEW, status)`` and ``grants`` as connections through
  the access selectors (``authz.restrict``), paged with ``check_page_size`` like ``products``;
- ``AccessMutation``: ``requestAccess``, ``approveAccessRequest``, ``denyAccessRequest``,
  ``withdrawAccessRequest``, ``revokeGrant``, ``renewGrant``, ``createApiKey``, each a subclass of the
  pattern in ``mutations.py`` (look up through a selector, ``authz.require`` the declared perm, call the
  service, answer ``errors { field code message }`` from ``loom_portal.graphql.errors``);
- mix ``AccessQuery`` and ``AccessMutation`` into ``loom_portal/schema.py`` and regenerate schema.graphql.
"""
