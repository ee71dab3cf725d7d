import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// `vite build apps/web` (npm run build:web): everything bundled into dist/web, no CDN, so the
// client works on a LAN without internet. The suite serves that folder at `/`.
export default defineConfig({
  base: '/',
  // The constants the server builds from too (error codes, text limit, subprotocol name).
  resolve: { alias: { '@app/protocol-constants': fileURLToPath(new URL('../../libs/protocol-constants/src/index.ts', import.meta.url)) } },
  build: {
    outDir: '../../dist/web',
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: true,
    // No inline scripts or styles: a Content-Security-Policy of 'self' must allow the page.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  server: {
    // `npx vite apps/web` while `npm start` runs: the APIs and the socket are the suite's.
    proxy: {
      '/chat/': { target: 'ws://localhost:8080', ws: true },
      '/chat_message/': 'http://localhost:8080',
      '/user/': 'http://localhost:8080',
      '/images/': 'http://localhost:8080',
      '/dev/': 'http://localhost:8080',
    },
  },
});
