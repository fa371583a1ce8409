package io.liveroom.store;

import io.liveroom.room.RoomState;
import java.nio.charset.StandardCharsets;

/**
 * The Redis key layout of liveroom, in one place (docs/architecture.md lists it too). Every key
 * carries the hash tag of a slot group, {@code lr:{<group>}:...}: a room's keys, the index bucket
 * that lists it, and the counts and claim log its scripts touch share one Redis Cluster hash slot,
 * so every Lua script stays single-slot. A room's group is its index bucket mod {@link #GROUPS}
 * (the low bits of the id's hash, which spread even ids that differ only in their last
 * characters); a listing walks the rooms in (group, bucket, id) order. Sized so that a cold room
 * costs under 200 bytes:
 * <ul>
 *   <li>{@code lr:{g}:r:<id>}: hash of the room ({@link RoomHash} says which fields);</li>
 *   <li>{@code lr:{g}:ix:<state>:<bucket>}: the ids of the rooms in that state whose id hashes to
 *       that bucket ({@link #BUCKETS} buckets), score 0, small enough to stay listpack-encoded
 *       (about 18 bytes per room instead of about 110 in one big sorted set);</li>
 *   <li>{@code lr:{g}:ix:<state>}: the non-empty buckets of a state in that group (member and
 *       score = bucket), so that a listing skips empty ones;</li>
 *   <li>{@code lr:{g}:count}: hash of room counts per state of that group;</li>
 *   <li>{@code lr:{g}:h:<id>}, {@code lr:{g}:p:<id>}: a room's history stream and replay archive;</li>
 *   <li>{@code lr:{g}:m:<id>}, {@code lr:{g}:a:<id>}: a room's moderation hash and audit log;</li>
 *   <li>{@code lr:{g}:k:<id>}, {@code lr:{g}:kz:<id>}: a room's idempotency keys (key -> epoch:seq:time)
 *   and their times, for pruning;</li>
 *   <li>{@code lr:{g}:claims}: the claim log of the group, which node took which epoch of which room.</li>
 * </ul>
 * The Lua scripts build bucket names from the bucket set names they are given (same tag, same slot).
 */
public final class RoomKeys {
  /** Index buckets per state: about 60 ids each at 1,000,000 rooms, under Redis's listpack limit of 128. */
  public static final int BUCKETS = 16384;
  /**
   * Slot groups (hash tags {@code {0}} to {@code {255}}): the unit Redis Cluster places on a
   * master. 256 spread a cluster of up to a few dozen masters evenly, and keep a count (one
   * {@code HVALS} per group) and a walk over empty groups cheap.
   */
  public static final int GROUPS = 256;
  /** Redis Cluster's hash slots. */
  public static final int SLOTS = 16384;

  private RoomKeys() {
  }

  /** The index bucket of a room id (String.hashCode is specified, so every node agrees). */
  public static int bucketOf(String id) {
    return Math.floorMod(id.hashCode(), BUCKETS);
  }

  /** The slot group of a room id: its bucket's. */
  public static int groupOf(String id) {
    return groupOfBucket(bucketOf(id));
  }

  /** The slot group of an index bucket. */
  public static int groupOfBucket(int bucket) {
    return bucket % GROUPS;
  }

  /** The key prefix of a slot group, hash tag included: {@code lr:{g}:}. */
  public static String groupPrefix(int group) {
    return "lr:{" + group + "}:";
  }

  private static String roomScoped(String kind, String id) {
    return groupPrefix(groupOf(id)) + kind + ":" + id;
  }

  public static String roomKey(String id) {
    return roomScoped("r", id);
  }

  /** The sorted set of the ids in {@code state} whose bucket is {@code bucket}. */
  public static String bucketKey(RoomState state, int bucket) {
    return bucketSetKey(state, groupOfBucket(bucket)) + ":" + bucket;
  }

  /** The sorted set of the non-empty buckets of {@code state} in slot group {@code group}. */
  public static String bucketSetKey(RoomState state, int group) {
    return groupPrefix(group) + "ix:" + state.wire();
  }

  /** Hash of the room counts per state of slot group {@code group}. */
  public static String countKey(int group) {
    return groupPrefix(group) + "count";
  }

  /**
   * The claim log of slot group {@code group}: a capped stream with one entry per epoch taken (a
   * create or a load), fields {@code r} room id, {@code e} epoch, {@code n} node id; the entry id
   * is Redis's clock at the claim.
   */
  public static String claimsKey(int group) {
    return groupPrefix(group) + "claims";
  }

  /** History stream of a room: its recent items, capped (approximately) at the history size. */
  public static String historyKey(String id) {
    return roomScoped("h", id);
  }

  /** A room's replay archive: items with a progress, scored by it. */
  public static String replayKey(String id) {
    return roomScoped("p", id);
  }

  /** A room's moderation state: muted and banned users, mute all, deleted items (the pin is in the room's hash). */
  public static String moderationKey(String id) {
    return roomScoped("m", id);
  }

  /** A room's audit log of moderation actions (a capped stream). */
  public static String auditKey(String id) {
    return roomScoped("a", id);
  }

  /** A room's idempotency keys: {@code user\0key} -> {@code epoch:seq:acceptedAt}. */
  public static String idempotencyKey(String id) {
    return roomScoped("k", id);
  }

  /** When each idempotency key of a room was accepted (a sorted set), so that old keys are pruned. */
  public static String idempotencyTimesKey(String id) {
    return roomScoped("kz", id);
  }

  /**
   * The Redis Cluster hash slot of a key, as {@code CLUSTER KEYSLOT} computes it: CRC16 (XMODEM)
   * of the hash tag (the text between the first '{' and the next '}', when not empty) or else of
   * the whole key, mod 16384.
   */
  public static int slotOf(String key) {
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    int from = 0;
    int to = b.length;
    int open = indexOf(b, (byte) '{', 0);
    if (open >= 0) {
      int close = indexOf(b, (byte) '}', open + 1);
      if (close > open + 1) {
        from = open + 1;
        to = close;
      }
    }
    int crc = 0;
    for (int i = from; i < to; i++) {
      crc ^= (b[i] & 0xff) << 8;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
      }
      crc &= 0xffff;
    }
    return crc % SLOTS;
  }

  private static int indexOf(byte[] b, byte c, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }
}
