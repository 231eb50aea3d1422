import { describe, expect, it } from 'vitest';
import { type Decider, deciderSpec, given } from '../src/index.js';

// A small file decider in the shape services use: commands in, past-tense events out.
type FileEvent =
  | { type: 'FileUploaded'; data: { name: string } }
  | { type: 'FileRenamed'; data: { from: string; to: string } }
  | { type: 'FileTrashed'; data: { at: string } };
type FileCommand = { type: 'RenameFile'; name: string } | { type: 'TrashFile'; now: string };
type FileState = { status: 'absent' } | { status: 'active' | 'trashed'; name: string };

class FileNotFound extends Error {}
class FileInTrash extends Error {
  constructor(readonly fileName: string) {
    super(`${fileName} is in the trash`);
  }
}

const fileDecider: Decider<FileCommand, FileState, FileEvent> = {
  initialState: { status: 'absent' },
  evolve(state, event) {
    switch (event.type) {
      case 'FileUploaded':
        return { status: 'active', name: event.data.name };
      case 'FileRenamed':
        return state.status === 'absent' ? state : { ...state, name: event.data.to };
      case 'FileTrashed':
        return state.status === 'absent' ? state : { ...state, status: 'trashed' };
    }
  },
  decide(command, state) {
    if (state.status === 'absent') throw new FileNotFound();
    if (state.status === 'trashed') throw new FileInTrash(state.name);
    switch (command.type) {
      case 'RenameFile':
        return command.name === state.name ? [] : [{ type: 'FileRenamed', data: { from: state.name, to: command.name } }];
      case 'TrashFile':
        return [{ type: 'FileTrashed', data: { at: command.now } }];
    }
  },
};

const spec = deciderSpec(fileDecider);
const uploaded: FileEvent = { type: 'FileUploaded', data: { name: 'a.txt' } };

describe('given / when / then', () => {
  it('passes when decide returns exactly the expected events', () => {
    spec([uploaded]).when({ type: 'RenameFile', name: 'b.txt' }).then([{ type: 'FileRenamed', data: { from: 'a.txt', to: 'b.txt' } }]);
    spec([uploaded]).when({ type: 'RenameFile', name: 'a.txt' }).then([]);
    given(fileDecider, [uploaded, { type: 'FileRenamed', data: { from: 'a.txt', to: 'c.txt' } }])
      .when({ type: 'RenameFile', name: 'd.txt' })
      .then([{ type: 'FileRenamed', data: { from: 'c.txt', to: 'd.txt' } }]);
  });

  it('fails when the events differ, in content or in number', () => {
    expect(() => spec([uploaded]).when({ type: 'RenameFile', name: 'b.txt' }).then([{ type: 'FileRenamed', data: { from: 'a.txt', to: 'x' } }])).toThrow();
    expect(() => spec([uploaded]).when({ type: 'RenameFile', name: 'b.txt' }).then([])).toThrow();
  });

  it('fails with the thrown error named when events were expected', () => {
    expect(() => spec([]).when({ type: 'RenameFile', name: 'b.txt' }).then([])).toThrow(/decide threw FileNotFound/);
  });

  it('checks the error class, and an optional predicate, with thenThrows', () => {
    spec([]).when({ type: 'RenameFile', name: 'b.txt' }).thenThrows(FileNotFound);
    const trashed: FileEvent = { type: 'FileTrashed', data: { at: '2026-01-01T00:00:00Z' } };
    spec([uploaded, trashed]).when({ type: 'RenameFile', name: 'b.txt' }).thenThrows(FileInTrash, (e) => e.fileName === 'a.txt');

    expect(() => spec([uploaded]).when({ type: 'RenameFile', name: 'b.txt' }).thenThrows(FileNotFound)).toThrow(/returned/);
    expect(() => spec([uploaded, trashed]).when({ type: 'RenameFile', name: 'b.txt' }).thenThrows(FileNotFound)).toThrow(/FileInTrash/);
    expect(() =>
      spec([uploaded, trashed]).when({ type: 'RenameFile', name: 'b.txt' }).thenThrows(FileInTrash, (e) => e.fileName === 'z'),
    ).toThrow(/failed the check/);
  });

  it('exposes the state after the decided events', () => {
    expect(spec([uploaded]).when({ type: 'TrashFile', now: '2026-01-01T00:00:00Z' }).thenState()).toEqual({ status: 'trashed', name: 'a.txt' });
  });
});
