import { AppError } from '@strata/service-kit';
import { randomBytes } from 'node:crypto';
import { type Argon2Params, hashPassword, needsRehash, verifyPassword } from './passwords.js';

/** 503 with Retry-After (set by the app's onError hook): every hashing slot and queue place is taken. */
export class HashingBusyError extends AppError {
  readonly retryAfterSeconds = 1;
  constructor() {
    super(503, 'password-hashing-busy', 'Service unavailable', 'Too many sign-ins at this moment; try again in a second.');
  }
}

/**
 * At most `concurrency` tasks at once and `queue` waiting; past that, refused at once. Each hash
 * holds its memory (19 MiB at the OWASP cost) until it ends, so a burst of sign-ins waits in a
 * short line instead of taking the process's memory, and what the line cannot hold is told to
 * come back.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.concurrency) this.running++;
    else if (this.waiting.length < this.queue) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else throw new HashingBusyError();
    try {
      return await task();
    } finally {
      // the slot passes straight to the next in line, or is given back
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/**
 * Password hashing for the service: Argon2id at the configured cost, every hash and verification
 * through one gate. An unknown account is checked against a decoy hash of the same algorithm and
 * cost, so that it takes as long as a wrong password and the two cannot be told apart.
 */
export class PasswordHasher {
  private readonly gate: Gate;

  private constructor(
    readonly params: Argon2Params,
    limits: { concurrency: number; queue: number },
    /** Checked when there is no account: same algorithm and cost as every new hash. */
    readonly decoy: string,
  ) {
    this.gate = new Gate(limits.concurrency, limits.queue);
  }

  static async create(params: Argon2Params, limits: { concurrency: number; queue: number }): Promise<PasswordHasher> {
    return new PasswordHasher(params, limits, await hashPassword(randomBytes(24).toString('base64url'), params));
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => hashPassword(password, this.params));
  }

  /** Verifies against the stored hash, or against the decoy when there is none (and then fails). */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const ok = await this.gate.run(() => verifyPassword(password, stored ?? this.decoy));
    return ok && stored !== undefined;
  }

  needsRehash(stored: string): boolean {
    return needsRehash(stored, this.params);
  }
}
