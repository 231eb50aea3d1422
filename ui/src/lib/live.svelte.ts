import { type FileEventType, type InsightsEventType, LiveStreamEnds, type SessionEventType, type ShareEventType } from '@strata/contracts/event-types';
import { api, refreshAccessToken } from './api';

export interface LiveEvent {
  id: string;
  type: FileEventType | SessionEventType | InsightsEventType | ShareEventType;
  subject?: string;
  time?: string;
  data: Record<string, unknown>;
}

type Listener = (event: LiveEvent) => void;

/**
 * One stream of the user's events (GET /api/v1/events) shared by every page. A fetch rather than
 * EventSource, which cannot send the bearer token; on a drop it reconnects with Last-Event-ID, so
 * nothing is missed, and with a fresh token when the old one expired.
 */
class LiveEvents {
  connected = $state(false);
  private listeners = new Set<Listener>();
  private lastId: string | undefined;
  private controller: AbortController | undefined;
  private running = false;
  /**
   * Which run loop is the current one: a loop stopped while it awaits must not carry on beside
   * the next one, or every stop and start (each page change) would leave one more stream open,
   * and a browser gives a host only six connections.
   */
  private runs = 0;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;
  /** How long to wait before reconnecting a stream that was open: the server's `retry:` hint, else half a second. */
  private retryMs = 500;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    clearTimeout(this.stopTimer);
    if (!this.running) void this.run();
    return () => {
      this.listeners.delete(listener);
      // a page change unsubscribes the old page before the new one subscribes: keep the stream for it
      if (this.listeners.size === 0) {
        clearTimeout(this.stopTimer);
        this.stopTimer = setTimeout(() => {
          if (this.listeners.size === 0) this.stop();
        }, 1000);
      }
    };
  }

  stop(): void {
    clearTimeout(this.stopTimer);
    this.running = false;
    this.runs++;
    this.controller?.abort();
    this.connected = false;
  }

  private async run(): Promise<void> {
    this.running = true;
    const run = ++this.runs;
    const current = () => this.running && this.runs === run;
    let backoff = 500;
    while (current()) {
      const ended = await this.connect().catch(() => 'error' as const);
      if (!current()) return;
      // a stream that was open (a server going away ends it so) is reconnected after the
      // server's retry hint, and the backoff starts again: it grows only while none opens
      if (this.connected) backoff = this.retryMs;
      this.connected = false;
      if (ended === LiveStreamEnds.sessionEnded) {
        this.running = false;
        return;
      }
      if (ended === LiveStreamEnds.tokenExpired || ended === 'unauthorized') {
        if (!(await refreshAccessToken())) {
          if (current()) this.running = false;
          return;
        }
        backoff = 500;
        continue;
      }
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 15_000);
    }
  }

  private async connect(): Promise<typeof LiveStreamEnds.sessionEnded | typeof LiveStreamEnds.tokenExpired | 'unauthorized' | 'closed'> {
    this.controller = new AbortController();
    const { data: stream, response } = await api.GET('/api/v1/events', {
      params: { header: this.lastId ? { 'last-event-id': this.lastId } : {} },
      parseAs: 'stream',
      signal: this.controller.signal,
    });
    if (response.status === 401) return 'unauthorized';
    if (!response.ok || !stream) return 'closed';
    this.connected = true;
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'closed';
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let id: string | undefined;
        let type = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('retry: ')) {
            const hint = Number(line.slice(7));
            if (Number.isInteger(hint) && hint >= 0 && hint <= 60_000) this.retryMs = hint;
          } else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) type = line.slice(7);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (type === LiveStreamEnds.sessionEnded || type === LiveStreamEnds.tokenExpired) return type;
        if (!data) continue;
        if (id) this.lastId = id;
        try {
          const event = JSON.parse(data) as LiveEvent;
          for (const listener of this.listeners) listener(event);
        } catch {
          // a message we cannot read is skipped, not fatal
        }
      }
    }
  }
}

export const live = new LiveEvents();
