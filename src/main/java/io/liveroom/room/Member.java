package io.liveroom.room;

/** Who acts on a room: a user id, the display name and the role the token gives them in the room. */
public record Member(String userId, String userName, String role) {

  /** The room's owner, a host, a moderator or an admin: may moderate, and is never muted or slowed. */
  public boolean privilegedIn(Room room) {
    return room.ownedBy(userId) || "host".equals(role) || "moderator".equals(role) || "admin".equals(role);
  }

  public boolean guest() {
    return "guest".equals(role);
  }
}
