import { describe, expect, it } from 'vitest';
import { checkArgs } from '../src/cli.js';

describe('the strata command line', () => {
  it('answers --help with the usage instead of running the command', () => {
    expect(checkArgs('start', ['--help'])).toBe('help');
    expect(checkArgs('test', ['-h'])).toBe('help');
  });

  it('refuses an option the command does not take, or one without its value, before starting anything', () => {
    expect(checkArgs('start', ['--profil', 'prod-like'])).toBe('start takes no "--profil"');
    expect(checkArgs('start', ['--profile'])).toBe('--profile needs a value');
    expect(checkArgs('start', ['--only', '--replicas', 'files=2'])).toBe('--only needs a value');
    expect(checkArgs('test', ['--watch'])).toBe('test takes no "--watch"');
    expect(checkArgs('start', ['--no-restarts'])).toBe('start takes no "--no-restarts"');
  });

  it('takes what each command documents', () => {
    expect(checkArgs('start', ['--profile', 'prod-like', '--replicas', 'files=2', '--only', 'gateway,files'])).toBeUndefined();
    expect(checkArgs('start', ['--no-restart', '--only', 'files'])).toBeUndefined();
    expect(checkArgs('generate-client', ['--check'])).toBeUndefined();
    expect(checkArgs('test', [])).toBeUndefined();
  });
});
