// GraphiQL for signed-in users, served by the portal. Requests carry the session cookie and the CSRF token.
(function () {
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  var fetcher = GraphiQL.createFetcher({ url: window.location.pathname, headers: { "X-CSRFToken": csrf } });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  var defaultQuery = "# Loom Portal GraphQL API: the tenant always comes from you, the signed-in user.\n" +
    "query Viewer {\n  viewer { email roles tenant { name } }\n  domains { slug name workspaces { workspaceId name } }\n}\n";
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery, defaultEditorToolsVisibility: true }));
})();
