// Types of @liveroom/client, written by hand for the public API (README.md describes it).

export type Status = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
export type Transport = 'sockjs' | 'websocket';
export type Mode = 'scroll' | 'top' | 'bottom';

/** A token, or a function asked for one at every (re)connect and before the current one expires. */
export type TokenSource = string | (() => string | Promise<string>);

export interface LiveroomOptions {
  /** The node's base URL; the channel is at url + '/rt' (SockJS) or url + '/rt/websocket'. */
  url: string;
  token?: TokenSource;
  /** 'sockjs' (default) or 'websocket' (the browser's WebSocket on /rt/websocket, no SockJS needed). */
  transport?: Transport;
  /** The SockJS constructor for transport 'sockjs' (default: the global SockJS). */
  SockJS?: new (url: string, reserved?: null, options?: { transports?: string[] }) => unknown;
  /** The WebSocket constructor for transport 'websocket' (default: the global WebSocket). */
  WebSocket?: new (url: string) => unknown;
  /** The SockJS transports to allow, e.g. ['websocket', 'xhr-streaming']. */
  transports?: string[];
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  stableMs?: number;
  reconnect?: boolean;
  /** How long before a token's exp it is refreshed (default 30000; short tokens at 80% of their lifetime). */
  refreshLeadMs?: number;
}

export interface User {
  id: string;
  name: string;
  roles?: string[];
}

export interface HelloResult {
  user: User;
  node: string;
  heartbeatMs: number;
}

/** An item as the server sends it (history items also carry their epoch). */
export interface Item {
  epoch?: number;
  seq: number;
  user: { id: string; name: string };
  text: string;
  color: string;
  mode: Mode;
  progress?: number;
  ts: number;
  priority: 0 | 1;
}

/** The pinned item of a room: an item with its epoch. */
export interface PinnedItem extends Item {
  epoch: number;
}

export interface RoomInfo {
  id: string;
  title?: string;
  ownerId?: string;
  state?: 'created' | 'live' | 'paused' | 'ended';
  createdAt?: number;
  updatedAt?: number;
  maxMembers?: number;
  guestsCanRead?: boolean;
  slowModeSec?: number;
  metadata?: Record<string, unknown>;
  online?: number;
  hot?: boolean;
  pinned?: PinnedItem | null;
  [field: string]: unknown;
}

export interface JoinResult {
  id: number;
  ok: true;
  room: RoomInfo;
  online: number;
  epoch: number;
  seq: number;
  history: Item[];
  recovered: boolean;
}

export interface Body {
  text: string;
  color?: string;
  mode?: Mode;
  progress?: number;
}

export type ModerationAction =
  | 'mute' | 'unmute' | 'ban' | 'unban' | 'kick' | 'delete' | 'slowmode'
  | 'muteall' | 'unmuteall' | 'pin' | 'unpin';

export interface ModerationFields {
  user?: string;
  /** delete and pin: the item's epoch and seq, both required (a DanmakuEvent can be passed as it is) */
  epoch?: number;
  seq?: number;
  durationSec?: number;
  reason?: string;
}

/** An Error with a protocol code (BAD_REQUEST, FORBIDDEN, ...) or a client code (TIMEOUT, DISCONNECTED, CLOSED, TOKEN, TOKEN_EXPIRED, ...). */
export interface LiveroomError extends Error {
  code: string;
  retryAfterMs?: number;
  /** set on errors about one room (a refused re-join) */
  room?: string;
  /** refresherror: whether the client tries the refresh again before the token expires */
  willRetry?: boolean;
}

export interface DanmakuEvent extends Item {
  room: string;
  epoch: number;
  /** true for items from a join reply (first join or recovery) rather than a live push */
  history: boolean;
}

export interface ModerationEvent {
  push: 'moderation';
  room: string;
  action: ModerationAction | string;
  user?: string;
  epoch?: number;
  seq?: number;
  durationSec?: number;
  /** pin: the pinned item */
  item?: Item;
  [field: string]: unknown;
}

export interface GapEvent {
  room: string;
  epoch: number;
  expected: number;
  got: number;
  recovered?: false;
  previousEpoch?: number | null;
}

export interface RoomEvents {
  danmaku: DanmakuEvent;
  presence: { room: string; online: number };
  room: { room: string; info: RoomInfo };
  moderation: ModerationEvent;
  closed: { room: string; reason: string };
  kicked: { room: string; reason: string };
  gap: GapEvent;
  error: LiveroomError;
}

export interface Events extends RoomEvents {
  bye: { reason: string; reconnectAfterMs?: number };
  status: Status;
  /** a token function's token was accepted by a `refresh`; exp in epoch ms */
  refresh: { exp: number | null };
  /** a refresh failed: the token function threw, or the server refused the token */
  refresherror: LiveroomError;
}

/** One room through a client: commands for it and its events only. */
export class RoomSubscription {
  readonly client: Liveroom;
  readonly id: string;
  readonly joined: boolean;
  readonly info: RoomInfo | null;
  readonly online: number;
  readonly epoch: number | null;
  readonly seq: number;
  readonly pinned: PinnedItem | null;
  join(opts?: { history?: boolean }): Promise<JoinResult>;
  leave(): Promise<{ ok: true }>;
  send(body: Body | string, opts?: { key?: string }): Promise<{ seq: number; epoch: number }>;
  moderate(action: ModerationAction, fields?: ModerationFields): Promise<{ ok: true }>;
  on<E extends keyof RoomEvents>(event: E, fn: (arg: RoomEvents[E]) => void): () => void;
  once<E extends keyof RoomEvents>(event: E, fn: (arg: RoomEvents[E]) => void): () => void;
  off<E extends keyof RoomEvents>(event: E, fn: (arg: RoomEvents[E]) => void): void;
}

export class Liveroom {
  constructor(options: LiveroomOptions);
  static readonly EVENTS: ReadonlyArray<keyof Events>;
  /** the protocol version (hello's `v`) */
  static readonly version: number;
  /** the package version */
  static readonly clientVersion: string;
  readonly url: string;
  readonly transport: Transport;
  readonly status: Status;
  readonly user: User | null;
  readonly node: string | null;
  readonly heartbeatMs: number;
  /** when the current connection's token expires (epoch ms), or null */
  readonly tokenExpMs: number | null;
  connect(): Promise<HelloResult>;
  join(room: string, opts?: { history?: boolean }): Promise<JoinResult>;
  leave(room: string): Promise<{ ok: true }>;
  send(room: string, body: Body | string, opts?: { key?: string }): Promise<{ seq: number; epoch: number }>;
  moderate(room: string, action: ModerationAction, fields?: ModerationFields): Promise<{ ok: true }>;
  ping(): Promise<{ ts: number; rttMs: number }>;
  room(id: string): RoomSubscription;
  on<E extends keyof Events>(event: E, fn: (arg: Events[E]) => void): () => void;
  once<E extends keyof Events>(event: E, fn: (arg: Events[E]) => void): () => void;
  off<E extends keyof Events>(event: E, fn: (arg: Events[E]) => void): void;
  close(): void;
}

export const EVENTS: ReadonlyArray<keyof Events>;
export const ROOM_EVENTS: ReadonlyArray<keyof RoomEvents>;
/** The exp of a JWT in epoch ms (decoded, not verified), or null. */
export function jwtExpMs(token: string): number | null;
/** How long to wait before refreshing a token that expires at expMs (see README.md). */
export function refreshDelayMs(expMs: number, nowMs: number, leadMs?: number): number;

export default Liveroom;
