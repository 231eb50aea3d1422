/**
 * A thin client for the Dapr sidecar's HTTP API. Plain fetch keeps bodies streamable and errors
 * visible; the official SDK's server side is Express-based and its client adds little here.
 */

export interface DaprClientOptions {
  /** The sidecar's HTTP port (DAPR_HTTP_PORT). */
  httpPort: number;
  host?: string;
  /** Sent as dapr-api-token when the sidecar requires one (DAPR_API_TOKEN). */
  apiToken?: string | undefined;
  /** Per-call timeout for everything but invoke streams. */
  timeoutMs?: number;
  /**
   * The app-ids this app may invoke (its manifest); `invoke` refuses any other before a call
   * leaves the process. Unset: any.
   */
  invokes?: readonly string[] | undefined;
}

export class DaprError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
    readonly body: string,
  ) {
    super(message);
    this.name = 'DaprError';
  }
}

export interface StateItem<T> {
  key: string;
  value: T;
  etag?: string;
  /** Time to live in seconds (state.postgresql supports it). */
  ttlInSeconds?: number;
  concurrency?: 'first-write' | 'last-write';
}

export interface BindingResponse {
  status: number;
  body: Buffer;
  metadata: Record<string, string>;
}

export class DaprClient {
  readonly baseUrl: string;
  private readonly apiToken: string | undefined;
  private readonly timeoutMs: number;
  private readonly invokes: readonly string[] | undefined;

  constructor(options: DaprClientOptions) {
    this.baseUrl = `http://${options.host ?? '127.0.0.1'}:${options.httpPort}`;
    this.apiToken = options.apiToken;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.invokes = options.invokes;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.apiToken ? { 'dapr-api-token': this.apiToken, ...extra } : { ...extra };
  }

  private async call(path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    const { timeoutMs, ...rest } = init;
    return fetch(`${this.baseUrl}${path}`, {
      ...rest,
      headers: this.headers((rest.headers as Record<string, string> | undefined) ?? {}),
      signal: rest.signal ?? AbortSignal.timeout(timeoutMs ?? this.timeoutMs),
    });
  }

  private async expectOk(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    const body = await res.text();
    let errorCode: string | undefined;
    let message = body;
    try {
      const parsed = JSON.parse(body) as { errorCode?: string; message?: string };
      errorCode = parsed.errorCode;
      message = parsed.message ?? body;
    } catch {
      // not JSON: keep the text
    }
    throw new DaprError(`${what} failed with ${res.status}: ${message}`, res.status, errorCode, body);
  }

  /**
   * True when the sidecar has loaded its components and can serve outbound calls. This endpoint
   * does not wait for the app, so an app may use it in its own readiness check.
   */
  async isOutboundReady(timeoutMs = 1_000): Promise<boolean> {
    try {
      const res = await this.call('/v1.0/healthz/outbound', { timeoutMs });
      return res.status === 204;
    } catch {
      return false;
    }
  }

  /** Service invocation: the response is returned as is, its body unread, so it can be streamed. */
  async invoke(appId: string, method: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
    if (this.invokes && !this.invokes.includes(appId)) {
      throw new Error(`this app does not declare that it invokes "${appId}" (its manifest allows ${this.invokes.join(', ') || 'none'})`);
    }
    const path = method.startsWith('/') ? method.slice(1) : method;
    return this.call(`/v1.0/invoke/${encodeURIComponent(appId)}/method/${path}`, init);
  }

  /**
   * One turn with a language model through a conversation component (Dapr's Conversation API,
   * alpha2): a system prompt and the user's message in, the model's text out. `scrubPii` has the
   * component mask personal data in what comes back.
   */
  async converse(component: string, prompt: { system: string; user: string }, options: { scrubPii?: boolean; temperature?: number; timeoutMs?: number } = {}): Promise<string> {
    const res = await this.call(`/v1.0-alpha2/conversation/${encodeURIComponent(component)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ messages: [{ ofSystem: { content: [{ text: prompt.system }] } }, { ofUser: { content: [{ text: prompt.user }] } }], scrubPii: options.scrubPii ?? false }],
        scrubPii: options.scrubPii ?? false,
        temperature: options.temperature ?? 0,
      }),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    await this.expectOk(res, `conversation ${component}`);
    const body = (await res.json()) as { outputs?: { choices?: { message?: { content?: string } }[] }[] };
    const text = body.outputs?.flatMap((o) => o.choices ?? []).map((c) => c.message?.content ?? '').join('\n').trim();
    if (!text) throw new DaprError(`conversation ${component} answered no text`, res.status, undefined, JSON.stringify(body));
    return text;
  }

  async publish(
    pubsub: string,
    topic: string,
    data: unknown,
    options: { metadata?: Record<string, string>; contentType?: string } = {},
  ): Promise<void> {
    const query = new URLSearchParams(
      Object.entries(options.metadata ?? {}).map(([k, v]): [string, string] => [`metadata.${k}`, v]),
    ).toString();
    const contentType = options.contentType ?? 'application/json';
    const body = contentType.includes('json') ? JSON.stringify(data) : String(data);
    const res = await this.call(
      `/v1.0/publish/${encodeURIComponent(pubsub)}/${encodeURIComponent(topic)}${query ? `?${query}` : ''}`,
      { method: 'POST', body, headers: { 'content-type': contentType } },
    );
    await this.expectOk(res, `publish to ${pubsub}/${topic}`);
  }

  async saveState<T>(store: string, items: StateItem<T>[]): Promise<void> {
    const payload = items.map((item) => ({
      key: item.key,
      value: item.value,
      ...(item.etag !== undefined ? { etag: item.etag } : {}),
      ...(item.concurrency ? { options: { concurrency: item.concurrency } } : {}),
      ...(item.ttlInSeconds !== undefined ? { metadata: { ttlInSeconds: String(item.ttlInSeconds) } } : {}),
    }));
    const res = await this.call(`/v1.0/state/${encodeURIComponent(store)}`, {
      method: 'POST',
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    await this.expectOk(res, `save state in ${store}`);
  }

  /** Returns undefined when the key does not exist. */
  async getState<T>(store: string, key: string): Promise<{ value: T; etag: string | undefined } | undefined> {
    const res = await this.call(`/v1.0/state/${encodeURIComponent(store)}/${encodeURIComponent(key)}`);
    await this.expectOk(res, `get state ${key} from ${store}`);
    if (res.status === 204) return undefined;
    const text = await res.text();
    if (text === '') return undefined;
    return { value: JSON.parse(text) as T, etag: res.headers.get('etag') ?? undefined };
  }

  async deleteState(store: string, key: string, etag?: string): Promise<void> {
    const res = await this.call(`/v1.0/state/${encodeURIComponent(store)}/${encodeURIComponent(key)}`, {
      method: 'DELETE',
      headers: etag !== undefined ? { 'if-match': etag } : {},
    });
    await this.expectOk(res, `delete state ${key} from ${store}`);
  }

  /** Output binding call; `data` is sent as is (a string for blob contents). */
  async binding(
    name: string,
    operation: string,
    data: unknown,
    metadata: Record<string, string> = {},
  ): Promise<BindingResponse> {
    const res = await this.call(`/v1.0/bindings/${encodeURIComponent(name)}`, {
      method: 'POST',
      body: JSON.stringify({ operation, data, metadata }),
      headers: { 'content-type': 'application/json' },
      timeoutMs: 30_000,
    });
    await this.expectOk(res, `binding ${name} ${operation}`);
    const responseMetadata: Record<string, string> = {};
    for (const [k, v] of res.headers) {
      if (k.startsWith('metadata.')) responseMetadata[k.slice('metadata.'.length)] = v;
    }
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), metadata: responseMetadata };
  }

  async getSecret(store: string, key: string): Promise<Record<string, string>> {
    const res = await this.call(`/v1.0/secrets/${encodeURIComponent(store)}/${encodeURIComponent(key)}`);
    await this.expectOk(res, `read secret ${key} from ${store}`);
    return (await res.json()) as Record<string, string>;
  }
}
