package io.liveroom.store;

import io.liveroom.room.RoomState;

/**
 * The Redis key layout of liveroom, in one place (docs/architecture.md lists it too). Sized so
 * that a cold room costs under 200 bytes of Redis memory:
 * <ul>
 *   <li>{@code lr:r:<id>}: hash of the room ({@link RoomHash} says which fields);</li>
 *   <li>{@code lr:ix:<state>:<bucket>}: the ids of the rooms in that state whose id hashes to
 *       that bucket ({@link #BUCKETS} buckets), score 0, small enough to stay listpack-encoded
 *       (about 18 bytes per room instead of about 110 in one big sorted set);</li>
 *   <li>{@code lr:ix:<state>}: the non-empty buckets of a state (member and score = bucket),
 *       so that a listing skips empty ones;</li>
 *   <li>{@code lr:count}: hash of room counts per state;</li>
 *   <li>{@code lr:h:<id>}, {@code lr:p:<id>}: a room's history stream and replay archive;</li>
 *   <li>{@code lr:m:<id>}, {@code lr:a:<id>}: a room's moderation hash and audit log;</li>
 *   <li>{@code lr:k:<id>}, {@code lr:kz:<id>}: a room's idempotency keys (key -> epoch:seq:time)
 *   and their times, for pruning;</li>
 *   <li>{@link #CLAIMS}: the claim log, which node took which epoch of which room.</li>
 * </ul>
 * The Lua scripts build {@code lr:ix:} names themselves where a listing walks them.
 */
public final class RoomKeys {
  /** Index buckets per state: about 60 ids each at 1,000,000 rooms, under Redis's listpack limit of 128. */
  public static final int BUCKETS = 16384;
  /** Hash of room counts per state. */
  public static final String COUNT = "lr:count";
  /**
   * The claim log: a capped stream with one entry per epoch taken (a create or a load), fields
   * {@code r} room id, {@code e} epoch, {@code n} node id; the entry id is Redis's clock at the claim.
   */
  public static final String CLAIMS = "lr:claims";

  private RoomKeys() {
  }

  public static String roomKey(String id) {
    return "lr:r:" + id;
  }

  /** The index bucket of a room id (String.hashCode is specified, so every node agrees). */
  public static int bucketOf(String id) {
    return Math.floorMod(id.hashCode(), BUCKETS);
  }

  /** The sorted set of the ids in {@code state} whose bucket is {@code bucket}. */
  public static String bucketKey(RoomState state, int bucket) {
    return bucketSetKey(state) + ":" + bucket;
  }

  /** The sorted set of the non-empty buckets of {@code state}. */
  public static String bucketSetKey(RoomState state) {
    return "lr:ix:" + state.wire();
  }

  /** History stream of a room: its recent items, capped (approximately) at the history size. */
  public static String historyKey(String id) {
    return "lr:h:" + id;
  }

  /** A room's replay archive: items with a progress, scored by it. */
  public static String replayKey(String id) {
    return "lr:p:" + id;
  }

  /** A room's moderation state: muted and banned users, mute all, deleted items (the pin is in the room's hash). */
  public static String moderationKey(String id) {
    return "lr:m:" + id;
  }

  /** A room's audit log of moderation actions (a capped stream). */
  public static String auditKey(String id) {
    return "lr:a:" + id;
  }

  /** A room's idempotency keys: {@code user\0key} -> {@code epoch:seq:acceptedAt}. */
  public static String idempotencyKey(String id) {
    return "lr:k:" + id;
  }

  /** When each idempotency key of a room was accepted (a sorted set), so that old keys are pruned. */
  public static String idempotencyTimesKey(String id) {
    return "lr:kz:" + id;
  }
}
