package io.liveroom.edge;

import io.liveroom.config.LiveroomConfig;
import io.liveroom.edge.internals.PerMessageDeflate;
import io.liveroom.edge.internals.SharedFrames;
import io.liveroom.metrics.NodeMetrics;
import io.liveroom.protocol.Bundle;
import io.netty.buffer.ByteBuf;
import it.unimi.dsi.fastutil.objects.ObjectLinkedOpenHashSet;
import java.nio.charset.StandardCharsets;

/**
 * Writes owners' bundles to the local sockets of their rooms; the bytes were encoded once by the
 * owner. A socket whose queue is over {@code rt.writeQueueMaxBytes} misses priority-0 frames, and
 * one that stays so for {@code rt.slowConsumerMs} is cut off. Who the members are is
 * {@link LocalRooms}' business.
 */
final class FanoutWriter {
  private final NodeMetrics metrics;
  private final LiveroomConfig.Rt cfg;
  private final LocalRooms rooms;
  private final int frameLimit;
  /** Compresses each frame once for the raw sockets that agreed to permessage-deflate; null when it is off. */
  private final PerMessageDeflate deflater;

  FanoutWriter(NodeMetrics metrics, LiveroomConfig.Rt cfg, LocalRooms rooms) {
    this.metrics = metrics;
    this.cfg = cfg;
    this.rooms = rooms;
    this.frameLimit = EdgeVerticle.webSocketFrameLimit(cfg);
    this.deflater = cfg.deflateLevel() > 0 ? new PerMessageDeflate(cfg.deflateLevel(), cfg.deflateMinBytes()) : null;
  }

  /** Frees the deflater's native memory; on the edge's stop. */
  void close() {
    if (deflater != null) {
      deflater.close();
    }
  }

  void deliver(Bundle bundle) {
    int delivered = 0;
    int dropped = 0;
    long plainBytes = 0;
    long deflatedBytes = 0;
    long now = System.currentTimeMillis();
    ObjectLinkedOpenHashSet<RtSession> slow = null;
    for (Bundle.Frame f : bundle.frames()) {
      ObjectLinkedOpenHashSet<RtSession> members = rooms.members(f.roomId());
      if (members == null) {
        continue;
      }
      if (f.targetUser() != null) {
        kick(f.roomId(), members, f.targetUser(), f.bytes().toString(StandardCharsets.UTF_8));
        continue;
      }
      // raw WebSocket sessions share the frame's encoded bytes (compressed ones for those that agreed
      // to permessage-deflate); SockJS sessions get text (SockJS would write a Buffer as a binary
      // frame), each made once, when first needed
      ByteBuf shared = null;
      ByteBuf deflated = null;
      String text = null;
      for (RtSession s : members) {
        if (full(s)) {
          if (s.fullSince == 0) {
            s.fullSince = now;
          } else if (now - s.fullSince > cfg.slowConsumerMs()) {
            slow = slow == null ? new ObjectLinkedOpenHashSet<>() : slow;
            slow.add(s);
            continue;
          }
          if (f.priority() == 0) {
            dropped++;
            continue;
          }
        } else {
          s.fullSince = 0;
        }
        // a frame over the WebSocket frame limit goes through Vert.x, which fragments it
        boolean direct = s.raw != null && f.bytes().length() <= frameLimit;
        ByteBuf frame = null;
        if (direct && s.deflate) {
          frame = deflated = deflated == null ? deflater.shared(f.bytes()) : deflated;
        } else if (direct) {
          frame = shared = shared == null ? SharedFrames.shared(f.bytes()) : shared;
        }
        if (frame != null && SharedFrames.writeText(s.raw, frame)) {
          if (s.deflate) {
            deflatedBytes += frame.readableBytes();
          } else {
            plainBytes += frame.readableBytes();
          }
        } else {
          text = text == null ? f.bytes().toString(StandardCharsets.UTF_8) : text;
          s.write(text);
        }
        delivered++;
      }
      if (shared != null) {
        shared.release(); // each write holds its own reference until Netty has written it
      }
      if (deflated != null) {
        deflated.release();
      }
      if (f.acceptedAt() > 0) {
        metrics.fanoutLatency(System.currentTimeMillis() - f.acceptedAt());
      }
      if (f.closesRoom()) {
        rooms.ended(f.roomId());
      }
    }
    if (delivered > 0) {
      metrics.deliveries(delivered);
      metrics.rawFanoutBytes(plainBytes, deflatedBytes);
    }
    if (dropped > 0) {
      metrics.dropped("slow_consumer", dropped);
    }
    if (slow != null) {
      for (RtSession s : slow) {
        cutOff(s);
      }
    }
  }

  /**
   * For the idle sweep: a socket seen full for longer than {@code rt.slowConsumerMs} is cut off
   * when it still is, even if no frame came to notice it.
   */
  void sweep(RtSession s, long now) {
    if (s.fullSince > 0 && now - s.fullSince > cfg.slowConsumerMs()) {
      if (full(s)) {
        cutOff(s);
      } else {
        s.fullSince = 0;
      }
    }
  }

  /** A kick or ban: the user's sockets here get the push and leave the room (the owner counts them out). */
  private void kick(String room, ObjectLinkedOpenHashSet<RtSession> members, String userId, String text) {
    for (RtSession s : members.toArray(new RtSession[0])) {
      if (userId.equals(s.userId)) {
        s.write(text);
        rooms.leave(s, room);
      }
    }
  }

  private void cutOff(RtSession s) {
    metrics.rejectedConnection("slow_consumer");
    rooms.bye(s, "SLOW_CONSUMER");
  }

  /** Over {@code rt.writeQueueMaxBytes}: the socket's own queue (a raw WebSocket's channel), or what SockJS holds. */
  private boolean full(RtSession s) {
    return s.socket.writeQueueFull() || s.pending > cfg.writeQueueMaxBytes();
  }
}
