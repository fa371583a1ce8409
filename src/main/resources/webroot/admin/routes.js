// The page's two views by the URL's hash: "" is the room directory, "#room/<id>" one room, so the
// browser's back button and a bookmark work.

const PREFIX = '#room/';

export function roomLink(id) {
  return PREFIX + encodeURIComponent(id);
}

/** The room id of the current hash, or null for the directory. */
export function currentRoom() {
  if (!location.hash.startsWith(PREFIX)) {
    return null;
  }
  try {
    return decodeURIComponent(location.hash.slice(PREFIX.length)) || null;
  } catch {
    return null;
  }
}
