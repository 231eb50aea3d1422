import type { TestStackInfo } from '@strata/testing';
import { Client } from '@strata/testing/client';

/**
 * Real things for the fuzz to aim at, owned by two users, so that requests reach past "no such
 * id" and a user's request can name another user's things: a signed-in session (access token,
 * refresh cookie, session id), a file, a file in the trash and an open resumable upload each.
 */
export interface FuzzUser {
  email: string;
  password: string;
  userId: string;
  token: string;
  cookie: string;
  sessionId: string;
  fileId: string;
  trashedId: string;
  uploadId: string;
}

export type UserName = 'A' | 'B';
/** What a generated request names; resolved when it is sent, so a re-created fixture is aimed at too. */
export type FixtureRef = `${UserName}.${'fileId' | 'trashedId' | 'uploadId' | 'sessionId' | 'userId' | 'email' | 'password'}`;
export const FIXTURE_REFS: readonly FixtureRef[] = (['A', 'B'] as const).flatMap((u) =>
  (['fileId', 'trashedId', 'uploadId', 'sessionId', 'userId', 'email', 'password'] as const).map((f) => `${u}.${f}` as FixtureRef),
);

const TUS = { 'tus-resumable': '1.0.0' };

export class Fixtures {
  readonly users = new Map<UserName, FuzzUser>();
  /** How many times a fixture had to be made again (a case revoked a session, trashed a file, …). */
  remade = 0;

  constructor(private readonly stack: TestStackInfo) {}

  resolve(ref: FixtureRef): string {
    const [user, field] = ref.split('.') as [UserName, keyof FuzzUser];
    const value = this.users.get(user)?.[field];
    if (value === undefined) throw new Error(`fixture ${ref} is not set up`);
    return value;
  }

  /** Makes sure every fixture (of one user, or both) exists and works, making again whatever a case used up. */
  async ensure(only?: UserName): Promise<void> {
    for (const name of only ? [only] : (['A', 'B'] as const)) {
      let user: FuzzUser;
      try {
        user = await this.ensureUser(this.users.get(name));
      } catch (error) {
        // the fuzz can leave an account unable to hold more (its quota reserved by large uploads
        // it opened): a new user takes its place
        if (!this.users.has(name)) throw error;
        user = await this.ensureUser(undefined);
        this.remade++;
      }
      this.users.set(name, user);
    }
  }

  private gateway(token?: string) {
    const client = new Client(this.stack.gatewayUrl);
    client.accessToken = token;
    return client;
  }

  private async ensureUser(user: FuzzUser | undefined): Promise<FuzzUser> {
    let u = user;
    if (!u || (await this.gateway(u.token).call('GET', '/api/v1/me')).status !== 200) u = await this.signIn(u);
    const api = this.gateway(u.token);
    if ((await api.call('GET', `/api/v1/files/${u.fileId}`)).status !== 200) {
      u.fileId = await this.upload(api, 'fuzz-file.txt');
      this.remade++;
    }
    const trash = await api.call('GET', '/api/v1/trash?limit=200');
    if (!(trash.json?.items as { id: string }[] | undefined)?.some((f) => f.id === u.trashedId)) {
      u.trashedId = await this.upload(api, 'fuzz-trashed.txt');
      const trashed = await api.call('DELETE', `/api/v1/files/${u.trashedId}`);
      if (trashed.status !== 204) throw new Error(`fuzz fixture: trashing a file answered ${trashed.status} ${trashed.text}`);
      this.remade++;
    }
    if ((await api.call('HEAD', `/api/v1/uploads/${u.uploadId}`, undefined, TUS)).status !== 200) {
      const name = Buffer.from('fuzz-upload.bin').toString('base64');
      const created = await api.call('POST', '/api/v1/uploads', undefined, { ...TUS, 'upload-length': '64', 'upload-metadata': `filename ${name}` });
      const location = created.headers.get('location');
      if (created.status !== 201 || !location) throw new Error(`fuzz fixture: creating an upload answered ${created.status} ${created.text}`);
      u.uploadId = location.split('/').pop()!;
      this.remade++;
    }
    return u;
  }

  /**
   * Signs the user in again (a case revoked the session or spent the refresh cookie), or, when
   * that is refused (the fuzz's wrong passwords throttled the account), registers a new one.
   */
  private async signIn(previous: FuzzUser | undefined): Promise<FuzzUser> {
    // sessions directly with the app token, as the tests' Client.user does: not held to the gateway's limits
    const sessions = Client.direct(this.stack, 'sessions');
    let account = previous ? { email: previous.email, password: previous.password, id: previous.userId } : undefined;
    let login = account ? await sessions.login(account.email, account.password) : undefined;
    if (!login || login.status !== 200) {
      account = await sessions.register();
      login = await sessions.login(account.email, account.password);
      if (login.status !== 200) throw new Error(`fuzz fixture: signing in answered ${login.status} ${login.text}`);
    }
    if (previous) this.remade++;
    const token = sessions.accessToken!;
    const list = await this.gateway(token).call('GET', '/api/v1/sessions');
    const current = (list.json?.items as { id: string; current: boolean }[] | undefined)?.find((s) => s.current);
    if (!current) throw new Error(`fuzz fixture: the session list answered ${list.status} ${list.text}`);
    return {
      ...(previous ?? { fileId: '00000000-0000-4000-8000-000000000000', trashedId: '00000000-0000-4000-8000-000000000000', uploadId: '00000000-0000-4000-8000-000000000000' }),
      email: account!.email,
      password: account!.password,
      userId: account!.id,
      token,
      cookie: sessions.cookie ?? '',
      sessionId: current.id,
    };
  }

  /**
   * A fixture's upload, retried as a well-behaved client does while files is briefly away (a
   * 502/503/504: an earlier test file of the run may have just killed it, and the supervisor
   * brings it back); anything else is the fixture's failure.
   */
  private async upload(api: Client, name: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const res = await api.upload(name, Buffer.from(`fuzz fixture ${name}\n`), { type: 'text/plain', headers: { 'idempotency-key': `fuzz-fixture-${name}` } });
      if (res.status === 201) return res.json.id as string;
      if (![502, 503, 504].includes(res.status) || attempt === 30) throw new Error(`fuzz fixture: uploading answered ${res.status} ${res.text}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
