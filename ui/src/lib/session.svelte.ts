import { ApiError, api, refreshAccessToken, setAccessToken } from './api';

export interface User {
  id: string;
  email: string;
  displayName: string;
}

/** The signed-in user, shared by every page; restored from the refresh cookie after a reload. */
class Session {
  user = $state<User | null>(null);
  private restoring: Promise<User | null> | undefined;

  /** Once per page load: a refresh cookie that is still good gives the user back. */
  restore(): Promise<User | null> {
    this.restoring ??= (async () => {
      if (this.user) return this.user;
      if (!(await refreshAccessToken())) return null;
      try {
        this.user = await api<User>('/me');
      } catch {
        this.user = null;
      }
      return this.user;
    })();
    return this.restoring;
  }

  async signIn(email: string, password: string): Promise<void> {
    const token = await api<{ accessToken: string }>('/auth/login', { method: 'POST', json: { email, password } });
    setAccessToken(token.accessToken);
    this.user = await api<User>('/me');
    this.restoring = Promise.resolve(this.user);
  }

  async signUp(email: string, password: string, displayName: string): Promise<void> {
    await api('/auth/register', { method: 'POST', json: { email, password, ...(displayName ? { displayName } : {}) } });
    await this.signIn(email, password);
  }

  async signOut(): Promise<void> {
    try {
      await api('/auth/logout', { method: 'POST' });
    } catch (error) {
      // signed out already (expired session): the local state is cleared all the same
      if (!(error instanceof ApiError)) throw error;
    }
    setAccessToken(undefined);
    this.user = null;
    this.restoring = Promise.resolve(null);
  }
}

export const session = new Session();
