import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { BaseConfigSchema, ConfigError, PoolSizeSchema, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  const schema = Type.Composite([BaseConfigSchema, Type.Object({ EXTRA: Type.Optional(Type.String()) })]);

  it('applies defaults and converts numbers', () => {
    const config = loadConfig(schema, { PORT: '8081', APP_ID: 'files', DAPR_HTTP_PORT: '3501' });
    expect(config).toMatchObject({ PORT: 8081, APP_ID: 'files', DAPR_HTTP_PORT: 3501, HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    expect(config.EXTRA).toBeUndefined();
  });

  it('reports every problem at once, with the variable name', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: 'eighty', DAPR_HTTP_PORT: '70000', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT="eighty"');
    expect(problems).toContain('APP_ID is required');
    expect(problems).toContain('DAPR_HTTP_PORT="70000"');
    expect(problems).toContain('LOG_LEVEL="loud"');
  });

  it('treats an empty variable as unset', () => {
    const config = loadConfig(schema, { PORT: '1', APP_ID: 'x', DAPR_HTTP_PORT: '2', HOST: '' });
    expect(config.HOST).toBe('127.0.0.1');
  });
});

describe('a pool size', () => {
  const schema = Type.Object({ DATABASE_POOL_SIZE: PoolSizeSchema });
  const problems = (value: string) => {
    try {
      loadConfig(schema, { DATABASE_POOL_SIZE: value });
    } catch (e) {
      return (e as ConfigError).problems;
    }
    return [];
  };

  it('defaults to 10 and reads a number', () => {
    expect(loadConfig(schema, {}).DATABASE_POOL_SIZE).toBe(10);
    expect(loadConfig(schema, { DATABASE_POOL_SIZE: '4' }).DATABASE_POOL_SIZE).toBe(4);
  });

  it.each(['0', '-1', 'ten', '101'])('refuses %s at boot, naming the variable', (value) => {
    expect(problems(value)).toEqual([expect.stringContaining(`DATABASE_POOL_SIZE=${JSON.stringify(value)}`)]);
  });
});
