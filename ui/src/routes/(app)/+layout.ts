import { redirect } from '@sveltejs/kit';
import { session } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

/** Every page of the signed-in app: no user, no page: to the sign-in form, and back after it. */
export const load: LayoutLoad = async ({ url }) => {
  const user = await session.restore();
  if (!user) redirect(307, `/signin?next=${encodeURIComponent(url.pathname + url.search)}`);
  return { user };
};
