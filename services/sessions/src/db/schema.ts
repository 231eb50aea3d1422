import type { Insertable, Selectable } from 'kysely';

/** Read models of the sessions service (schema `sessions`); the event streams live beside them. */
export interface UsersTable {
  user_id: string;
  account_stream: string;
  email: string;
  display_name: string;
  registered_at: Date;
}

export interface SessionListTable {
  session_id: string;
  user_id: string;
  device: string;
  address: string;
  created_at: Date;
  last_seen_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

export interface PartnerClientsTable {
  client_id: string;
  name: string;
  scopes: string[];
  plan: string;
  registered_at: Date;
  owner_user_id: string | null;
  secret_rotated_at: Date | null;
}

/** Reset tokens by their SHA-256, to find the account a confirm request is for. */
export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  account_stream: string;
  expires_at: Date;
}

export interface Database {
  'sessions.users': UsersTable;
  'sessions.session_list': SessionListTable;
  'sessions.partner_clients': PartnerClientsTable;
  'sessions.password_resets': PasswordResetsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type SessionRow = Selectable<SessionListTable>;
