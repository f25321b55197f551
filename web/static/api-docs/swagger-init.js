// Starts Swagger UI on /docs with the schema named by the page (no inline script).
(function () {
  "use strict";
  var box = document.getElementById("api-docs");
  window.ui = SwaggerUIBundle({
    url: box.getAttribute("data-openapi"),
    dom_id: "#api-docs",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
