/**
 * The names of published events, defined once: the CloudEvent type on the topic, the domain
 * event's own type in the log, and what subscribers, the UI and queries compare against. This
 * module imports nothing, so the browser can take it without the schemas.
 */

/** Every event of topic `files.events`. */
export const FileEventTypes = {
  FileUploaded: 'FileUploaded',
  FileVersionAdded: 'FileVersionAdded',
  FileRenamed: 'FileRenamed',
  FileTrashed: 'FileTrashed',
  FileRestored: 'FileRestored',
  FilePurged: 'FilePurged',
  FileTierChanged: 'FileTierChanged',
  FileRehydrationRequested: 'FileRehydrationRequested',
  FileRehydrated: 'FileRehydrated',
  FileShared: 'FileShared',
  FileUnshared: 'FileUnshared',
  FileMoved: 'FileMoved',
  FileStarred: 'FileStarred',
  FileUnstarred: 'FileUnstarred',
  FileVersionRestored: 'FileVersionRestored',
  FileVersionLabelled: 'FileVersionLabelled',
  FileVersionDeleted: 'FileVersionDeleted',
} as const;
export type FileEventType = (typeof FileEventTypes)[keyof typeof FileEventTypes];

/** The folders' events, on topic `files.events` beside the files' own. */
export const FolderEventTypes = {
  FolderCreated: 'FolderCreated',
  FolderRenamed: 'FolderRenamed',
  FolderMoved: 'FolderMoved',
  FolderTrashed: 'FolderTrashed',
  FolderRestored: 'FolderRestored',
  FolderStarred: 'FolderStarred',
  FolderUnstarred: 'FolderUnstarred',
} as const;
export type FolderEventType = (typeof FolderEventTypes)[keyof typeof FolderEventTypes];

/**
 * Shares with other users and share links, on topic `files.events` beside the files' own: each
 * share is its stream `share-<id>`, each link `link-<id>`.
 */
export const ShareEventTypes = {
  ItemShared: 'ItemShared',
  ShareRoleChanged: 'ShareRoleChanged',
  ShareRevoked: 'ShareRevoked',
  LinkCreated: 'LinkCreated',
  LinkRevoked: 'LinkRevoked',
  LinkAccessed: 'LinkAccessed',
} as const;
export type ShareEventType = (typeof ShareEventTypes)[keyof typeof ShareEventTypes];

const shareEventTypes: ReadonlySet<string> = new Set(Object.values(ShareEventTypes));

export function isShareEventType(type: string): type is ShareEventType {
  return shareEventTypes.has(type);
}

/** Every event of topic `sessions.events`: accounts, sessions and partner clients. */
export const SessionEventTypes = {
  UserRegistered: 'UserRegistered',
  PasswordRehashed: 'PasswordRehashed',
  PasswordChanged: 'PasswordChanged',
  PasswordResetRequested: 'PasswordResetRequested',
  PasswordReset: 'PasswordReset',
  DisplayNameChanged: 'DisplayNameChanged',
  SessionStarted: 'SessionStarted',
  SessionRefreshed: 'SessionRefreshed',
  SessionRevoked: 'SessionRevoked',
  PartnerClientRegistered: 'PartnerClientRegistered',
} as const;
export type SessionEventType = (typeof SessionEventTypes)[keyof typeof SessionEventTypes];

/** Every event of topic `insights.events`: what the insights service read in a file version. */
export const InsightsEventTypes = {
  DocumentIndexed: 'DocumentIndexed',
  DocumentIndexFailed: 'DocumentIndexFailed',
  DocumentTagsSuggested: 'DocumentTagsSuggested',
} as const;
export type InsightsEventType = (typeof InsightsEventTypes)[keyof typeof InsightsEventTypes];

const fileEventTypes: ReadonlySet<string> = new Set(Object.values(FileEventTypes));

export function isFileEventType(type: string): type is FileEventType {
  return fileEventTypes.has(type);
}

const folderEventTypes: ReadonlySet<string> = new Set(Object.values(FolderEventTypes));

export function isFolderEventType(type: string): type is FolderEventType {
  return folderEventTypes.has(type);
}

/**
 * Why the gateway ends a live event stream (GET /api/v1/events): the SSE event it sends last.
 * The client reconnects after `token-expired` (with a fresh token), never after `session-ended`.
 */
export const LiveStreamEnds = {
  sessionEnded: 'session-ended',
  tokenExpired: 'token-expired',
  tooManyStreams: 'too-many-streams',
  serverClosing: 'server-closing',
} as const;
export type LiveStreamEnd = (typeof LiveStreamEnds)[keyof typeof LiveStreamEnds];
