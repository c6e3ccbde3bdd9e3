import { defineConfig } from "vite";

// The build goes into the Python package, which serves it at / (colletta/api/web.py) and
// ships it in the wheel. No inline script or style: the server's CSP allows only 'self'.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../colletta/web_dist",
    emptyOutDir: true,
    target: "es2022",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
  },
});
