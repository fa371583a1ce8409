package io.liveroom.edge;

import io.liveroom.limit.TokenBucket;
import io.liveroom.room.Member;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import it.unimi.dsi.fastutil.objects.ObjectArrayList;

/** One real-time connection on an edge: who it is, the rooms it is in, its abuse count, and writes to its socket. */
final class RtSession {
  final RtSocket socket;
  /** Where a raw WebSocket session's fan-out frames go without a copy; null for SockJS sessions. */
  final ChannelHandlerContext raw;
  /** Whether {@link #raw} takes compressed frames (the socket agreed to permessage-deflate). */
  final boolean deflate;
  String userId;
  String userName;
  /** The token's {@code rooms} claim (room id or {@code *} to role), null for none. */
  JsonObject roles;
  boolean guest;
  boolean hello;
  /** The epoch second its token expires ({@code exp} plus leeway); 0 for guests and tokens without exp. */
  long tokenDeadline;
  /** Counted in the node's connections of {@link #userId} (an authenticated user). */
  boolean countedUser;
  boolean closed;
  /** Rooms joined (the owner answered). */
  final ObjectArrayList<String> rooms = new ObjectArrayList<>(2);
  /** Rooms whose join is in flight; a leave meanwhile moves the room to {@link #cancelled}. */
  final ObjectArrayList<String> joining = new ObjectArrayList<>(1);
  final ObjectArrayList<String> cancelled = new ObjectArrayList<>(1);
  /**
   * Characters written and not yet handed to the transport: SockJS sessions reset their own
   * queue size whenever they flush to the transport, so this is what tells a stuck client.
   */
  long pending;
  long lastSeen;
  int violations;
  /** When the socket's write queue was first seen full in a row of full checks, 0 when it is not. */
  long fullSince;
  /** The send rate limit, allocated on the first send. */
  TokenBucket sends;

  RtSession(RtSocket socket, long now) {
    this.socket = socket;
    this.raw = socket.frames();
    this.deflate = socket.deflate();
    this.lastSeen = now;
  }

  /** This user's role in a room: guest, or the token's role for the room or {@code *}, else viewer. */
  String role(String roomId) {
    if (guest) {
      return "guest";
    }
    if (roles != null) {
      Object r = roles.getValue(roomId);
      if (r == null) {
        r = roles.getValue("*");
      }
      if (r instanceof String s) {
        return s;
      }
    }
    return "viewer";
  }

  /** Who this connection is in a room, as its owner is told. */
  Member member(String roomId) {
    return new Member(userId, userName, role(roomId));
  }

  /**
   * Writes to a socket that may have closed under us (a closed socket just misses the write), and
   * counts the characters until the transport has taken them.
   */
  Future<Void> write(String text) {
    int n = text.length();
    pending += n;
    return socket.write(text).onComplete(ar -> pending -= n);
  }

  void closeSocket() {
    socket.close();
  }
}
