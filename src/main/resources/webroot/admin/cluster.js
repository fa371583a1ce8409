// The cluster section: GET /api/v1/stats every REFRESH_MS while the page is signed in.
import { request } from './api.js';
import { el, fill, table } from './dom.js';

const REFRESH_MS = 2000;

export class ClusterView {
  constructor() {
    this.figures = document.getElementById('cluster-figures');
    this.nodes = document.getElementById('cluster-nodes');
    this.error = document.getElementById('cluster-error');
    this.updated = document.getElementById('cluster-updated');
    this.nodeId = document.getElementById('node-id');
    this.timer = null;
    this.inFlight = false;
  }

  start() {
    this.stop();
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    // a slow node must not pile requests up
    if (this.inFlight || document.hidden) {
      return;
    }
    this.inFlight = true;
    try {
      this.show(await request('GET', '/stats'));
      this.error.hidden = true;
    } catch (e) {
      this.error.textContent = `Cluster figures: ${e}`;
      this.error.hidden = false;
    } finally {
      this.inFlight = false;
    }
  }

  show(stats) {
    const c = stats.cluster;
    const self = stats.node || {};
    this.nodeId.textContent = self.nodeId ? `node ${self.nodeId}` : '';
    const figure = (name, label, value) => el('div', { class: 'figure' },
      el('dt', {}, label), el('dd', { 'data-figure': name }, value ?? '-'));
    fill(this.figures,
      figure('members', 'Nodes', c.members),
      figure('partitions', 'Partitions owned / total', `${c.partitionsOwned} / ${c.partitions}`),
      figure('rooms', 'Rooms', c.rooms),
      figure('roomsHot', 'Hot rooms', c.roomsHot),
      figure('roomsCold', 'Cold rooms', c.roomsCold),
      figure('connections', 'Connections', c.connections),
      figure('messagesInPerSec', 'Messages in / s', c.messagesInPerSec),
      figure('messagesOutPerSec', 'Messages out / s', c.messagesOutPerSec));
    const headers = ['Node', 'Roles', 'Ready', 'Partitions', 'Hot rooms', 'Connections', 'In / s', 'Out / s',
      'Shards', 'Up'];
    fill(this.nodes, table(headers, c.nodes, (n) => n.error
      ? [nodeName(n, self), el('span', { class: 'bad' }, n.error), '', '', '', '', '', '', '', '']
      : [nodeName(n, self), (n.roles || []).join(', ') + (n.liteMember ? ' (lite)' : ''),
        n.ready ? 'yes' : el('span', { class: 'bad' }, 'no'), n.partitionsOwned, n.roomsHot, n.connections,
        n.messagesInPerSec, n.messagesOutPerSec, n.shardInstances, duration(n.uptimeMs)],
    { id: 'nodes-table' }));
    this.updated.textContent = 'updated ' + new Date().toLocaleTimeString();
  }
}

function nodeName(n, self) {
  return n.nodeId === self.nodeId ? [n.nodeId, el('span', { class: 'muted' }, ' (this node)')] : n.nodeId;
}

function duration(ms) {
  if (typeof ms !== 'number') {
    return '-';
  }
  const s = Math.floor(ms / 1000);
  if (s < 120) {
    return `${s} s`;
  }
  if (s < 7200) {
    return `${Math.floor(s / 60)} min`;
  }
  return s < 172800 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86400)} d`;
}
