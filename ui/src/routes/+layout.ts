// The UI is a client-side app behind the gateway: the access token lives in memory and the
// refresh cookie (HttpOnly, scoped to /api/v1/auth) restores the session after a reload, so there
// is no server-side session for SSR to read. The Fastify wrapper serves the shell and the assets.
export const ssr = false;
export const prerender = false;
