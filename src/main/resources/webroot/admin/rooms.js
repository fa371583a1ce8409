// The room directory: GET /api/v1/rooms?state=&cursor=&limit=, a page at a time.
import { request } from './api.js';
import { el, fill, table, time } from './dom.js';
import { roomLink } from './routes.js';

export class RoomsView {
  constructor() {
    this.section = document.getElementById('rooms');
    this.list = document.getElementById('rooms-list');
    this.error = document.getElementById('rooms-error');
    this.state = document.getElementById('rooms-state');
    this.limit = document.getElementById('rooms-limit');
    this.next = document.getElementById('rooms-next');
    this.cursor = null;
    this.nextCursor = null;
    document.getElementById('rooms-filter').addEventListener('submit', (e) => {
      e.preventDefault();
      this.load(null);
    });
    document.getElementById('rooms-first').addEventListener('click', () => this.load(null));
    this.next.addEventListener('click', () => this.load(this.nextCursor));
    document.getElementById('open-room').addEventListener('submit', (e) => {
      e.preventDefault();
      const id = document.getElementById('open-room-id').value.trim();
      if (id) {
        location.hash = roomLink(id);
      }
    });
  }

  /** Shows or hides the directory; shown again, it reloads the page it was on. */
  show(visible) {
    if (visible && this.section.hidden) {
      this.load(this.cursor);
    }
    this.section.hidden = !visible;
  }

  /** Loads the page that starts at cursor (null: the first). */
  async load(cursor) {
    try {
      const page = await request('GET', '/rooms', {
        query: { state: this.state.value, limit: this.limit.value, cursor },
      });
      this.error.hidden = true;
      this.cursor = cursor;
      this.nextCursor = page.next;
      this.next.disabled = !page.next;
      const headers = ['Room', 'Title', 'State', 'Online', 'Hot', 'Slow mode', 'Created'];
      fill(this.list, page.rooms.length === 0
        ? el('p', { class: 'muted' }, 'No rooms.')
        : table(headers, page.rooms, (r) => [
          el('a', { href: roomLink(r.id), class: 'room-link' }, r.id),
          r.title, el('span', { class: 'state state-' + r.state }, r.state), r.online, r.hot ? 'hot' : 'cold',
          r.slowModeSec ? `${r.slowModeSec} s` : 'off', time(r.createdAt),
        ], { id: 'rooms-table' }));
    } catch (e) {
      this.error.textContent = `Listing rooms: ${e}`;
      this.error.hidden = false;
    }
  }
}
