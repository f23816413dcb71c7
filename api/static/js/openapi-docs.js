// Starts the vendored Swagger UI on our OpenAPI document (kept out of the page so its CSP needs no inline script).
const box = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({ url: box.dataset.openapiUrl, dom_id: "#swagger-ui", deepLinking: true });
