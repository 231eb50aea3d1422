import type { components } from './schema.js';

type Problem = components['schemas']['Problem'];

/** What an answer's problem is read from: its status line and headers. */
export interface AnswerHead {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
}

/**
 * An error the API answered (RFC 9457 problem details), or status 0 when it could not be reached.
 * `retryAfter` is the Retry-After header in seconds, when the answer had one (429, 503).
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly retryAfter: number | undefined;
  /** The whole problem as sent: some carry more members (limitBytes, error...). */
  readonly problem: Problem;

  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.problem = problem;
    this.status = problem.status;
    this.type = problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.retryAfter = retryAfter;
  }

  /**
   * The problem of an answer that was not 2xx (a Response, or what an XMLHttpRequest read); a body
   * that is not a problem keeps the status and its text.
   */
  static fromBody(response: AnswerHead, body: unknown): ApiProblem {
    const given = body && typeof body === 'object' ? (body as Partial<Problem>) : {};
    const retry = Number(response.headers.get('retry-after'));
    return new ApiProblem(
      {
        ...given,
        type: typeof given.type === 'string' ? given.type : 'about:blank',
        title: typeof given.title === 'string' ? given.title : response.statusText || `HTTP ${response.status}`,
        status: response.status,
        ...(typeof given.detail === 'string' ? { detail: given.detail } : {}),
      },
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }

  /** The problem of an answer read as a stream or raw bytes (downloads, uploads), from its body. */
  static async fromResponse(response: Response): Promise<ApiProblem> {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    return ApiProblem.fromBody(response, body);
  }
}

/** What openapi-fetch gives back: `data` on 2xx, `error` (the parsed body) otherwise. */
interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer; anything else is thrown as an ApiProblem. */
export function unwrap<T>(result: Result<T>): T {
  if (result.response.ok && result.error === undefined) return result.data as T;
  throw ApiProblem.fromBody(result.response, result.error);
}
