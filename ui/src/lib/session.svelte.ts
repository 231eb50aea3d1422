import type { User } from '@strata/client';
import { ApiProblem, api, refreshAccessToken, setAccessToken, unwrap } from './api';

export type { User } from '@strata/client';

const me = () => api.GET('/api/v1/me').then(unwrap);

/**
 * Whether this browser was signed in when it last knew: a hint only (the session itself is the
 * HttpOnly refresh cookie, which scripts cannot see), so that a signed-out visitor is not sent
 * through a refresh that can only fail.
 */
const HINT = 'strata.signed-in';
const hint = {
  get: () => localStorage.getItem(HINT) === '1',
  set: (on: boolean) => (on ? localStorage.setItem(HINT, '1') : localStorage.removeItem(HINT)),
};

/** The signed-in user, shared by every page; restored from the refresh cookie after a reload. */
class Session {
  user = $state<User | null>(null);
  private restoring: Promise<User | null> | undefined;

  /** Once per page load: a refresh cookie that is still good gives the user back. */
  restore(): Promise<User | null> {
    this.restoring ??= (async () => {
      if (this.user) return this.user;
      if (!hint.get()) return null;
      if (!(await refreshAccessToken())) {
        hint.set(false);
        return null;
      }
      try {
        this.user = await me();
      } catch {
        this.user = null;
      }
      return this.user;
    })();
    return this.restoring;
  }

  async signIn(email: string, password: string): Promise<void> {
    const token = unwrap(await api.POST('/api/v1/auth/login', { body: { email, password } }));
    setAccessToken(token.accessToken);
    hint.set(true);
    this.user = await me();
    this.restoring = Promise.resolve(this.user);
  }

  async signUp(email: string, password: string, displayName: string): Promise<void> {
    unwrap(await api.POST('/api/v1/auth/register', { body: { email, password, ...(displayName ? { displayName } : {}) } }));
    await this.signIn(email, password);
  }

  /** Forgets the signed-in user here, after the server ended the session itself (signed out everywhere). */
  forget(): void {
    setAccessToken(undefined);
    hint.set(false);
    this.user = null;
    this.restoring = Promise.resolve(null);
  }

  async signOut(): Promise<void> {
    try {
      unwrap(await api.POST('/api/v1/auth/logout', { body: {} }));
    } catch (error) {
      // signed out already (expired session): the local state is cleared all the same
      if (!(error instanceof ApiProblem)) throw error;
    }
    setAccessToken(undefined);
    hint.set(false);
    this.user = null;
    this.restoring = Promise.resolve(null);
  }
}

export const session = new Session();
