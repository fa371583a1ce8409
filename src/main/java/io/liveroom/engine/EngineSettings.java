package io.liveroom.engine;

import io.liveroom.config.LiveroomConfig;

/**
 * What the room engine needs of the node's config: history sizes, idempotency-key limits, the
 * room message cap, the slow-mode ceiling, how long presence soft state lives, the bound of
 * the queue of appends waiting for Redis, and this shard instance's share of the node's cap on
 * hot rooms (0: none).
 */
public record EngineSettings(
    int historySize,
    int joinHistory,
    long idempotencyTtlMs,
    int maxKeysPerRoom,
    double roomMessagesPerSec,
    double roomMessagesBurst,
    int maxSlowModeSec,
    long presenceRefreshMs,
    long presenceMinIntervalMs,
    int appendQueueMax,
    int maxHotRooms) {

  /** At most one presence push per room per second: joins in a burst become one push. */
  public static final long PRESENCE_MIN_INTERVAL_MS = 1000;
  /** Sends waiting for their append to Redis at most; past it sends are refused with UNAVAILABLE. */
  public static final int APPEND_QUEUE_MAX = 50_000;

  public static EngineSettings of(LiveroomConfig config) {
    LiveroomConfig.Rt rt = config.rt();
    return new EngineSettings(rt.historySize(), rt.joinHistory(), rt.idempotencyTtlMs(), rt.maxKeysPerRoom(),
        rt.roomMessagesPerSec(), rt.roomMessagesBurst(), config.rooms().limits().maxSlowModeSec(),
        rt.presenceRefreshMs(), PRESENCE_MIN_INTERVAL_MS, APPEND_QUEUE_MAX,
        config.sweeper().maxHotRoomsPerInstance(config.shard().instances()));
  }
}
