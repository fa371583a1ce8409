package io.liveroom.room;

/** Size limits of room fields, from the {@code rooms.*} config keys. */
public record RoomLimits(
    int maxTitleLength,
    int maxMetadataBytes,
    int defaultMaxMembers,
    int maxMembersLimit,
    int maxSlowModeSec) {

  public static final RoomLimits DEFAULTS = new RoomLimits(100, 4096, 100_000, 10_000_000, 3600);
}
