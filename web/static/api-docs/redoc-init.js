// Starts ReDoc on /redoc with the schema named by the page (no inline script).
(function () {
  "use strict";
  var box = document.getElementById("api-docs");
  Redoc.init(box.getAttribute("data-openapi"), { disableSearch: false }, box);
})();
