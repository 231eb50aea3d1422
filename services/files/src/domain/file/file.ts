import type { DomainEvent } from '@strata/event-store';

/** Blob access tiers, hot to cold. */
export type Tier = 'Hot' | 'Cool' | 'Archive';

/** One immutable blob per version, named by ids (`<ownerId>/<fileId>/<versionId>`). */
export interface VersionInfo {
  version: number;
  versionId: string;
  blobName: string;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
}

export type FileUploaded = DomainEvent<
  'FileUploaded',
  { fileId: string; ownerId: string; name: string; via: 'multipart' | 'tus'; address?: string } & VersionInfo
>;
export type FileVersionAdded = DomainEvent<'FileVersionAdded', { fileId: string; ownerId: string; address?: string } & VersionInfo>;
export type FileRenamed = DomainEvent<'FileRenamed', { fileId: string; ownerId: string; from: string; to: string; renamedAt: string; address?: string }>;
export type FileTrashed = DomainEvent<'FileTrashed', { fileId: string; ownerId: string; trashedAt: string; address?: string }>;
export type FileRestored = DomainEvent<'FileRestored', { fileId: string; ownerId: string; restoredAt: string; address?: string }>;
export type FilePurged = DomainEvent<
  'FilePurged',
  { fileId: string; ownerId: string; purgedAt: string; reason: 'user' | 'retention'; blobNames: string[]; bytes: number; address?: string }
>;
export type FileTierChanged = DomainEvent<'FileTierChanged', { fileId: string; ownerId: string; from: Tier; to: Tier; changedAt: string }>;
export type FileShared = DomainEvent<'FileShared', { fileId: string; ownerId: string; clientId: string; sharedAt: string; address?: string }>;
export type FileUnshared = DomainEvent<'FileUnshared', { fileId: string; ownerId: string; clientId: string; unsharedAt: string; address?: string }>;

export type FileEvent =
  | FileUploaded
  | FileVersionAdded
  | FileRenamed
  | FileTrashed
  | FileRestored
  | FilePurged
  | FileTierChanged
  | FileShared
  | FileUnshared;

export type FileState =
  | { status: 'none' }
  | {
      status: 'active' | 'trashed' | 'purged';
      fileId: string;
      ownerId: string;
      name: string;
      versions: VersionInfo[];
      createdAt: string;
      updatedAt: string;
      trashedAt: string | null;
      tier: Tier;
      /** Partner client ids that may read this file. */
      grants: string[];
    };

export const initialFileState: FileState = { status: 'none' };

export function evolveFile(state: FileState, event: FileEvent): FileState {
  switch (event.type) {
    case 'FileUploaded': {
      const { fileId, ownerId, name, via: _via, address: _address, ...version } = event.data;
      return {
        status: 'active',
        fileId,
        ownerId,
        name,
        versions: [version],
        createdAt: version.createdAt,
        updatedAt: version.createdAt,
        trashedAt: null,
        tier: 'Hot',
        grants: [],
      };
    }
    default:
      break;
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'FileVersionAdded': {
      const { fileId: _f, ownerId: _o, address: _a, ...version } = event.data;
      // a new version is written hot: the file is in use again
      return { ...state, versions: [...state.versions, version], updatedAt: version.createdAt, tier: 'Hot' };
    }
    case 'FileRenamed':
      return { ...state, name: event.data.to, updatedAt: event.data.renamedAt };
    case 'FileTrashed':
      return { ...state, status: 'trashed', trashedAt: event.data.trashedAt };
    case 'FileRestored':
      return { ...state, status: 'active', trashedAt: null };
    case 'FilePurged':
      return { ...state, status: 'purged', grants: [] };
    case 'FileTierChanged':
      return { ...state, tier: event.data.to };
    case 'FileShared':
      return state.grants.includes(event.data.clientId) ? state : { ...state, grants: [...state.grants, event.data.clientId] };
    case 'FileUnshared':
      return { ...state, grants: state.grants.filter((c) => c !== event.data.clientId) };
    default: {
      const never: never = event;
      return never;
    }
  }
}

export const fileStream = (fileId: string) => `file-${fileId}`;
export const blobNameFor = (ownerId: string, fileId: string, versionId: string) => `${ownerId}/${fileId}/${versionId}`;
