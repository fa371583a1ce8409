// One room: its settings (PATCH), members, recent messages, moderation, audit log and the end
// (DELETE) with a confirm step. Each card shows the outcome of its last action, errors as
// "CODE: message".
import { request, seg } from './api.js';
import { el, fill, table, time } from './dom.js';
import { auditTable, fetchAudit, moderate, moderationForm } from './moderation.js';

const MESSAGES_LIMIT = 50;
const MEMBERS_LIMIT = 50;

/** A titled box with its own outcome line. */
function card(id, title, wide = false) {
  const note = el('p', { class: 'note', role: 'status', hidden: true });
  const tools = el('span', { class: 'tools' });
  const body = el('div', { class: 'card-body' });
  const root = el('section', { id, class: wide ? 'card wide' : 'card' },
    el('div', { class: 'card-head' }, el('h3', {}, title), tools), note, body);
  return {
    root, body, tools,
    ok(text) {
      note.className = 'note ok';
      note.textContent = text;
      note.hidden = false;
    },
    fail(what, error) {
      note.className = 'note error';
      note.setAttribute('role', 'alert');
      note.textContent = `${what}: ${error}`;
      note.hidden = false;
    },
    clear() {
      note.hidden = true;
    },
  };
}

export class RoomView {
  constructor() {
    this.section = document.getElementById('room');
    this.id = null;
  }

  close() {
    this.id = null;
    this.section.hidden = true;
    this.section.replaceChildren();
  }

  open(id) {
    this.id = id;
    this.room = null;
    this.history = null;
    this.membersCursor = null;
    this.auditCursor = null;
    this.title = el('h2', { id: 'room-title' }, id);
    this.state = el('span', { id: 'room-state', class: 'state' });
    this.head = card('room-head', 'Settings');
    this.members = card('room-members', 'Members');
    this.messages = card('room-messages', 'Recent messages', true);
    this.moderation = card('room-moderation', 'Moderation');
    this.audit = card('room-audit', 'Audit log', true);
    this.end = card('room-end', 'End the room');

    this.modForm = moderationForm((body) => this.act(this.moderation, body.action, () => moderate(this.id, body)));
    this.moderation.body.append(this.modForm.form);
    this.members.tools.append(el('button', { type: 'button', onclick: () => this.loadMembers(null) }, 'Refresh'));
    this.messages.tools.append(el('button', { type: 'button', onclick: () => this.loadMessages() }, 'Refresh'));
    this.audit.tools.append(el('button', { type: 'button', onclick: () => this.loadAudit(null) }, 'Refresh'));
    this.showEnd();

    fill(this.section,
      el('div', { class: 'panel-head' },
        el('a', { href: '#', class: 'back' }, '\u2190 Rooms'), this.title,
        el('code', { id: 'room-id' }, id), this.state,
        el('button', { type: 'button', onclick: () => this.loadAll() }, 'Refresh all')),
      el('div', { class: 'cards' }, this.head.root, this.members.root, this.messages.root, this.moderation.root,
        this.end.root, this.audit.root));
    this.section.hidden = false;
    this.loadAll();
  }

  loadAll() {
    this.loadRoom();
    this.loadMembers(null);
    this.loadMessages();
    this.loadAudit(null);
  }

  /**
   * Runs an operator's action in a card: its outcome in the card's note, then fresh data.
   * Returns whether it succeeded.
   */
  async act(where, label, call) {
    where.clear();
    try {
      await call();
      where.ok(`${label}: done`);
      return true;
    } catch (e) {
      where.fail(label, e);
      return false;
    } finally {
      if (this.id) {
        this.loadAll();
      }
    }
  }

  async loadRoom() {
    const id = this.id;
    try {
      const room = await request('GET', `/rooms/${seg(id)}`);
      if (id !== this.id) {
        return;
      }
      this.room = room;
      this.title.textContent = room.title || room.id;
      this.state.textContent = room.state;
      this.state.className = 'state state-' + room.state;
      this.showSettings(room);
    } catch (e) {
      this.head.fail('Loading the room', e);
    }
  }

  showSettings(room) {
    const input = (name, attrs) => el('input', { id: 'set-' + name, name, ...attrs });
    const f = {
      title: input('title', { value: room.title, maxlength: '200' }),
      slowModeSec: input('slowModeSec', { type: 'number', min: '0', value: room.slowModeSec }),
      maxMembers: input('maxMembers', { type: 'number', min: '0', value: room.maxMembers }),
      guestsCanRead: input('guestsCanRead', { type: 'checkbox', checked: room.guestsCanRead }),
      state: el('select', { id: 'set-state', name: 'state', disabled: room.state === 'ended' },
        ['live', 'paused', 'created', 'ended'].map((s) => el('option', {
          value: s, selected: s === room.state, disabled: s !== room.state && (s === 'created' || s === 'ended'),
        }, s))),
    };
    const form = el('form', { id: 'settings-form', class: 'stack' },
      el('label', { class: 'field' }, 'title', f.title),
      el('label', { class: 'field' }, 'slow mode (s, 0 = off)', f.slowModeSec),
      el('label', { class: 'field' }, 'max members', f.maxMembers),
      el('label', { class: 'field check' }, f.guestsCanRead, 'guests can read'),
      el('label', { class: 'field' }, 'state', f.state),
      el('button', { type: 'submit', disabled: room.state === 'ended' }, 'Save'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const patch = {};
      if (f.title.value !== room.title) {
        patch.title = f.title.value;
      }
      for (const name of ['slowModeSec', 'maxMembers']) {
        if (f[name].value.trim() !== '' && Number(f[name].value) !== room[name]) {
          patch[name] = Number(f[name].value);
        }
      }
      if (f.guestsCanRead.checked !== room.guestsCanRead) {
        patch.guestsCanRead = f.guestsCanRead.checked;
      }
      if (f.state.value !== room.state) {
        patch.state = f.state.value;
      }
      if (Object.keys(patch).length === 0) {
        this.head.ok('Nothing changed');
        return;
      }
      this.act(this.head, 'Save ' + Object.keys(patch).join(', '),
        () => request('PATCH', `/rooms/${seg(this.id)}`, { body: patch }));
    });
    const facts = el('dl', { class: 'facts' },
      el('dt', {}, 'owner'), el('dd', {}, room.ownerId),
      el('dt', {}, 'online'), el('dd', { id: 'room-online' }, room.online,
        room.connections == null ? null : ` (${room.connections} connections)`),
      el('dt', {}, 'in memory'), el('dd', {}, room.hot ? 'hot' : 'cold'),
      el('dt', {}, 'filter'), el('dd', {}, room.filter ?? '-'),
      'pinned' in room ? [el('dt', {}, 'pinned'), el('dd', { id: 'room-pinned' }, this.pinned(room.pinned))] : null,
      el('dt', {}, 'created'), el('dd', {}, time(room.createdAt)),
      el('dt', {}, 'updated'), el('dd', {}, time(room.updatedAt)));
    fill(this.head.body, facts, form);
  }

  /** The pinned item of the room object (with the pin-epoch change), and an unpin button. */
  pinned(item) {
    if (!item) {
      return 'none';
    }
    return [`#${item.seq} ${item.user.name}: `, el('span', { class: 'text' }, item.text), ' ',
      el('button', {
        type: 'button',
        onclick: () => this.act(this.head, 'unpin', () => moderate(this.id, { action: 'unpin' })),
      }, 'Unpin')];
  }

  async loadMembers(cursor) {
    const id = this.id;
    try {
      const page = await request('GET', `/rooms/${seg(id)}/members`, { query: { limit: MEMBERS_LIMIT, cursor } });
      if (id !== this.id) {
        return;
      }
      this.membersCursor = page.next;
      const prefill = (action, m) => () => this.modForm.prefill(action, { user: m.id });
      fill(this.members.body,
        page.guests ? el('p', { class: 'muted' }, `and ${page.guests} guest connections (not listed)`) : null,
        page.members.length === 0 ? el('p', { class: 'muted' }, 'No signed-in users in the room.')
          : table(['User', 'Name', 'Role', ''], page.members, (m) => [m.id, m.name, m.role, [
            el('button', { type: 'button', onclick: prefill('mute', m) }, 'Mute\u2026'),
            el('button', { type: 'button', onclick: prefill('kick', m) }, 'Kick\u2026'),
            el('button', { type: 'button', onclick: prefill('ban', m) }, 'Ban\u2026'),
          ]], { id: 'members-table' }),
        page.next ? el('button', { type: 'button', onclick: () => this.loadMembers(this.membersCursor) }, 'Next page')
          : null);
    } catch (e) {
      fill(this.members.body);
      this.members.fail('Loading members', e);
    }
  }

  async loadMessages() {
    const id = this.id;
    try {
      const history = await request('GET', `/rooms/${seg(id)}/messages`, { query: { limit: MESSAGES_LIMIT } });
      if (id !== this.id) {
        return;
      }
      this.history = history;
      // an item carries its epoch; the response's epoch is the room's current one
      const epochOf = (item) => item.epoch ?? history.epoch;
      const newestFirst = [...history.items].reverse();
      fill(this.messages.body,
        el('p', { class: 'muted' }, `epoch ${history.epoch}, last seq ${history.seq}`),
        newestFirst.length === 0 ? el('p', { class: 'muted' }, 'No messages.')
          : table(['Seq', 'When', 'User', 'Text', ''], newestFirst, (item) => [
            `${item.seq}` + (epochOf(item) !== history.epoch ? ` (epoch ${epochOf(item)})` : ''),
            time(item.ts),
            [item.user.name, el('span', { class: 'muted' }, ` (${item.user.id})`)],
            el('span', { class: 'text' }, item.text),
            [
              el('button', {
                type: 'button', class: 'danger', 'data-seq': item.seq,
                onclick: () => this.act(this.messages, `delete ${item.seq}`,
                  () => moderate(id, { action: 'delete', seq: item.seq, epoch: epochOf(item) })),
              }, 'Delete'),
              el('button', {
                type: 'button',
                onclick: () => this.act(this.messages, `pin ${item.seq}`,
                  () => moderate(id, { action: 'pin', seq: item.seq, epoch: epochOf(item) })),
              }, 'Pin'),
              el('button', { type: 'button', onclick: () => this.modForm.prefill('mute', { user: item.user.id }) },
                'Mute author\u2026'),
            ],
          ], { id: 'messages-table' }));
    } catch (e) {
      fill(this.messages.body);
      this.messages.fail('Loading messages', e);
    }
  }

  async loadAudit(cursor) {
    const id = this.id;
    try {
      const page = await fetchAudit(id, cursor);
      if (id !== this.id) {
        return;
      }
      this.auditCursor = page.next;
      fill(this.audit.body,
        page.entries.length === 0 ? el('p', { class: 'muted' }, 'No moderation yet.') : auditTable(page.entries),
        page.next ? el('button', { type: 'button', onclick: () => this.loadAudit(this.auditCursor) }, 'Older') : null);
    } catch (e) {
      fill(this.audit.body);
      this.audit.fail('Loading the audit log', e);
    }
  }

  /** The end button, then a confirm step naming the room. */
  showEnd() {
    const ask = el('button', { type: 'button', id: 'end-room', class: 'danger' }, 'End room\u2026');
    ask.addEventListener('click', () => {
      fill(this.end.body,
        el('p', {}, 'End room ', el('code', {}, this.id),
          '? Its members are disconnected from it and it cannot go live again.'),
        el('button', {
          type: 'button', id: 'end-room-confirm', class: 'danger',
          onclick: () => this.act(this.end, 'End room', () => request('DELETE', `/rooms/${seg(this.id)}`))
            .then(() => this.showEnd()),
        }, 'Yes, end it'),
        el('button', { type: 'button', onclick: () => this.showEnd() }, 'Cancel'));
    });
    fill(this.end.body, el('p', { class: 'muted' }, 'Ending is final (DELETE /api/v1/rooms/{id}).'), ask);
  }
}
