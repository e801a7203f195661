import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

/** The signaling server the dev server proxies to (`npm run dev` starts it on this port). */
const backend = process.env['RR_DEV_BACKEND'] ?? 'http://127.0.0.1:8080';
const webRoot = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * Multi-page build of the web UI: the customer support page (index.html, served
 * for `/` and `/c/:code`), the technician console (console.html, `/console`) and
 * the administration page (admin.html, `/admin`, served to administrators only).
 * The signaling server serves `dist/web`.
 */
export default defineConfig({
  root: webRoot,
  base: '/',
  appType: 'mpa',
  build: {
    outDir: fileURLToPath(new URL('./dist/web/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL('./web/index.html', import.meta.url)),
        console: fileURLToPath(new URL('./web/console.html', import.meta.url)),
        admin: fileURLToPath(new URL('./web/admin.html', import.meta.url)),
      },
    },
  },
  esbuild: { target: 'es2022' },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: false,
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true, changeOrigin: false },
      '/download': { target: backend, changeOrigin: false },
      '/healthz': { target: backend, changeOrigin: false },
    },
  },
  plugins: [
    {
      // Mirror the server's routes in dev: /c/:code -> the support page, /console -> the console.
      name: 'rr-dev-routes',
      configureServer(server) {
        server.middlewares.use((req, _res, next) => {
          const url = req.url ?? '/';
          const path = url.split('?')[0] ?? '/';
          if (/^\/c\/\d{6}\/?$/.test(path)) req.url = '/index.html';
          else if (path === '/console' || path === '/console/') req.url = '/console.html';
          else if (path === '/admin' || path === '/admin/') req.url = '/admin.html';
          next();
        });
      },
    },
  ],
});
