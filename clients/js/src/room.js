import { Emitter } from './emitter.js';

/** The events a room subscription forwards: those that concern one room. */
export const ROOM_EVENTS = ['danmaku', 'presence', 'room', 'moderation', 'closed', 'kicked', 'gap', 'error'];

/**
 * One room seen through a client: join / leave / send / moderate for that room, and listeners that
 * get only that room's events. What the client knows of the room (joined, info, online, epoch,
 * seq, pinned) reads through. Made by `lr.room(id)`, which returns the same object for the same id.
 */
export class RoomSubscription {
  constructor(client, id) {
    this.client = client;
    this.id = id;
    this._events = new Emitter(ROOM_EVENTS);
  }

  join(opts) {
    return this.client.join(this.id, opts);
  }

  leave() {
    return this.client.leave(this.id);
  }

  send(body, opts) {
    return this.client.send(this.id, body, opts);
  }

  moderate(action, fields) {
    return this.client.moderate(this.id, action, fields);
  }

  on(event, fn) {
    return this._events.on(event, fn);
  }

  once(event, fn) {
    return this._events.once(event, fn);
  }

  off(event, fn) {
    this._events.off(event, fn);
  }

  /** Whether the client is in the room on the current connection. */
  get joined() {
    const st = this.client._rooms.get(this.id);
    return !!(st && st.joined);
  }

  /** The room object from the join reply and later `room` pushes, or null. */
  get info() {
    const st = this.client._rooms.get(this.id);
    return st ? st.info : null;
  }

  get online() {
    const st = this.client._rooms.get(this.id);
    return st ? st.online : 0;
  }

  /** The epoch and seq of the last item delivered (null and 0 before the first join). */
  get epoch() {
    const st = this.client._rooms.get(this.id);
    return st ? st.epoch : null;
  }

  get seq() {
    const st = this.client._rooms.get(this.id);
    return st ? st.seq : 0;
  }

  /** The pinned item ({epoch, seq, user, text, ...}) or null. */
  get pinned() {
    const info = this.info;
    return (info && info.pinned) || null;
  }
}
