import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The server (apps/server) serves the built `dist/` at `/`; in dev, vite proxies the API and the
// run WebSockets to it.
const server = process.env.TFSTREAM_SERVER ?? 'http://127.0.0.1:8710';

export default defineConfig({
  plugins: [react()],
  // `source` points the workspace packages (@tfstream/sdk for the dry run) at their TypeScript.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 6000,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: server, ws: true, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: server, ws: true, changeOrigin: false },
    },
  },
});
