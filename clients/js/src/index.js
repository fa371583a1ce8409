/*
 * @liveroom/client: the client of liveroom's real-time channel (protocol v1). README.md has the
 * API; docs/protocol.md in the liveroom repository has the wire format.
 */
export { Liveroom, EVENTS } from './client.js';
export { RoomSubscription, ROOM_EVENTS } from './room.js';
export { jwtExpMs, refreshDelayMs } from './token.js';
export { Liveroom as default } from './client.js';
