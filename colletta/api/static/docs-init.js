// Starts Swagger UI on /api/docs. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline code (colletta/api/middleware.py).
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
