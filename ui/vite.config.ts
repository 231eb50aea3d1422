import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    // `npm run dev` alone: API calls go to a gateway started by `npm start`
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
