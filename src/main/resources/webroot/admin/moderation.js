// Moderation of one room: POST /api/v1/rooms/{id}/moderation and the audit log
// (GET /api/v1/rooms/{id}/moderation/log), as docs/http-api.md describes them.
import { ApiError, request, seg } from './api.js';
import { el, table, time } from './dom.js';

/** Every action and the fields it takes besides the optional reason. */
export const ACTIONS = {
  mute: ['user', 'durationSec'],
  unmute: ['user'],
  ban: ['user'],
  unban: ['user'],
  kick: ['user'],
  delete: ['seq', 'epoch'],
  pin: ['seq', 'epoch'],
  unpin: [],
  slowmode: ['durationSec'],
  muteall: [],
  unmuteall: [],
};

// Items are addressed by (epoch, seq): the page sends both for delete and pin. A server that
// still addresses items by seq alone refuses epoch as an unknown field over REST
// (docs/protocol.md, "Where this version stands"); then the action is sent once more without it,
// and so are later ones.
let serverTakesEpoch = true;

/** Sends one action; body is {action, user?, seq?, epoch?, durationSec?, reason?}. */
export async function moderate(roomId, body) {
  const path = `/rooms/${seg(roomId)}/moderation`;
  const send = { ...body };
  if (!serverTakesEpoch) {
    delete send.epoch;
  }
  try {
    return await request('POST', path, { body: send });
  } catch (e) {
    if ('epoch' in send && refusesEpoch(e)) {
      serverTakesEpoch = false;
      delete send.epoch;
      return request('POST', path, { body: send });
    }
    throw e;
  }
}

function refusesEpoch(e) {
  return e instanceof ApiError && e.code === 'BAD_REQUEST' && e.message.startsWith("unknown field 'epoch'");
}

/**
 * The moderation form: an action and the fields it takes. onSubmit(body) gets what to send and
 * returns a promise; prefill(action, values) sets the form up from a member or message row.
 */
export function moderationForm(onSubmit) {
  const action = el('select', { id: 'mod-action', name: 'action' },
    Object.keys(ACTIONS).map((a) => el('option', { value: a }, a)));
  const inputs = {
    user: el('input', { id: 'mod-user', name: 'user', spellcheck: 'false' }),
    seq: el('input', { id: 'mod-seq', name: 'seq', type: 'number', min: '0' }),
    epoch: el('input', { id: 'mod-epoch', name: 'epoch', type: 'number', min: '0' }),
    durationSec: el('input', { id: 'mod-duration', name: 'durationSec', type: 'number', min: '0' }),
  };
  const reason = el('input', { id: 'mod-reason', name: 'reason', maxlength: '200' });
  const hints = {
    user: 'user id',
    seq: 'seq of a message',
    epoch: 'epoch of that message',
    durationSec: 'seconds (mute: blank or 0 = until unmuted; slowmode: 0 = off)',
  };
  const rows = {};
  for (const [name, input] of Object.entries(inputs)) {
    rows[name] = el('label', { class: 'field' }, name, input, el('span', { class: 'muted hint' }, hints[name]));
  }
  const form = el('form', { id: 'moderation-form', class: 'stack' },
    el('label', { class: 'field' }, 'action', action),
    Object.values(rows),
    el('label', { class: 'field' }, 'reason', reason, el('span', { class: 'muted hint' }, 'optional')),
    el('button', { type: 'submit' }, 'Apply'));

  const showFields = () => {
    const wanted = ACTIONS[action.value];
    for (const [name, row] of Object.entries(rows)) {
      row.hidden = !wanted.includes(name);
    }
  };
  action.addEventListener('change', showFields);
  showFields();

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const body = { action: action.value };
    for (const name of ACTIONS[action.value]) {
      const raw = inputs[name].value.trim();
      if (raw !== '') {
        body[name] = inputs[name].type === 'number' ? Number(raw) : raw;
      }
    }
    if (reason.value.trim()) {
      body.reason = reason.value.trim();
    }
    onSubmit(body);
  });

  return {
    form,
    prefill(name, values) {
      action.value = name;
      for (const input of Object.values(inputs)) {
        input.value = '';
      }
      for (const [field, value] of Object.entries(values)) {
        inputs[field].value = value ?? '';
      }
      reason.value = '';
      showFields();
      form.scrollIntoView({ block: 'nearest' });
      (ACTIONS[name].includes('durationSec') ? inputs.durationSec : action).focus();
    },
  };
}

/** One page of the audit log, newest first. */
export function fetchAudit(roomId, cursor) {
  return request('GET', `/rooms/${seg(roomId)}/moderation/log`, { query: { limit: 20, cursor } });
}

export function auditTable(entries) {
  return table(['When', 'By', 'Action', 'User', 'Seq', 'Duration', 'Reason'], entries, (a) => [
    time(a.ts), a.by, a.action, a.user ?? '', a.seq == null ? '' : a.seq + (a.epoch == null ? '' : ` (epoch ${a.epoch})`),
    a.durationSec == null ? '' : `${a.durationSec} s`, a.reason ?? '',
  ], { class: 'audit-table' });
}
