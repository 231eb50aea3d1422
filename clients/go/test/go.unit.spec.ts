import { describe, expect, it } from 'vitest';
import { goTest } from './go.js';

describe('the Go SDK without a stack', () => {
  it('go vet and go test pass (retries, Retry-After, problems, SSE parsing, tus metadata, paging)', async () => {
    const { code, output } = await goTest(['-vet=all', './...']);
    expect(output).toMatch(/ok\s+strata\.dev\/clients\/go\/strata/);
    expect(code, output).toBe(0);
  }, 300_000);
});
