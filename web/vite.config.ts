import { defineConfig } from 'vite';

// Built into the folder `watserface ui` serves (CMake passes it as --outDir); `npm run dev` proxies the API to a
// running `watserface ui`.
export default defineConfig({
  base: './',
  build: { target: 'es2022', sourcemap: true },
  server: { proxy: { '/api': 'http://127.0.0.1:7860' } },
});
