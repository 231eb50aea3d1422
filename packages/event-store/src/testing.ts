import { deepStrictEqual } from 'node:assert/strict';
import type { Decider, DomainEvent } from './types.js';

/**
 * Given / when / then for pure deciders, with no database and no test framework tied in (it
 * throws node:assert errors, which every runner reports):
 *
 *   const given = deciderSpec(fileDecider);
 *   given([uploaded]).when(rename).then([renamed]);
 *   given([]).when(rename).thenThrows(FileNotFound);
 */
export function deciderSpec<Command, State, E extends DomainEvent>(decider: Decider<Command, State, E>) {
  return (history: readonly E[]) => ({
    when(command: Command) {
      const state = history.reduce(decider.evolve, decider.initialState);
      const run = (): readonly E[] => decider.decide(command, state);
      return {
        /** decide must return exactly these events, in this order. */
        then(expected: readonly E[]): void {
          let actual: readonly E[];
          try {
            actual = run();
          } catch (err) {
            throw new Error(`expected events, but decide threw ${describe(err)}`, { cause: err });
          }
          deepStrictEqual(actual, expected);
        },
        /** decide must throw an instance of `errorClass` (and satisfy `check` when given). */
        thenThrows<Err extends Error>(
          // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor of Err
          errorClass: abstract new (...args: any[]) => Err,
          check?: (error: Err) => boolean,
        ): void {
          let events: readonly E[];
          try {
            events = run();
          } catch (err) {
            if (!(err instanceof errorClass)) {
              throw new Error(`expected ${errorClass.name}, but decide threw ${describe(err)}`, { cause: err });
            }
            if (check && !check(err)) throw new Error(`${errorClass.name} was thrown but failed the check: ${err.message}`);
            return;
          }
          throw new Error(`expected ${errorClass.name}, but decide returned ${JSON.stringify(events)}`);
        },
        /** The state after the given events and the decided ones, for assertions on evolve. */
        thenState(): State {
          return run().reduce(decider.evolve, state);
        },
      };
    },
  });
}

/** The function-call form of the same helper: given(decider, events).when(command).then(events). */
export function given<Command, State, E extends DomainEvent>(decider: Decider<Command, State, E>, history: readonly E[]) {
  return deciderSpec(decider)(history);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // subclasses often leave `name` as 'Error'; their class name says more
  const name = err.name === 'Error' ? err.constructor.name : err.name;
  return `${name}: ${err.message}`;
}
