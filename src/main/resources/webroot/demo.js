/*
 * The liveroom demo page: join a room, watch danmaku fly over a (fake) video, chat.
 * User data is only ever put into the page with textContent, never as HTML.
 */
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $('status'), who: $('who'), roomTitle: $('room-title'), online: $('online'), clock: $('clock'),
    layer: $('danmaku-layer'), chat: $('chat'), notice: $('notice'),
    joinForm: $('join-form'), room: $('room'), name: $('name'), join: $('join'), leave: $('leave'), secret: $('secret'),
    createForm: $('create-form'), apiKey: $('api-key'), title: $('title'), guests: $('guests'),
    sendForm: $('send-form'), text: $('text'), color: $('color'), mode: $('mode'), send: $('send'), hint: $('send-hint'),
    stage: $('stage'), pinned: $('pinned'), video: $('replay-video'), replayForm: $('replay-form'), replayRoom: $('replay-room'),
    replayPath: $('replay-path'), replayStart: $('replay-start'), replayStop: $('replay-stop')
  };

  var ROOM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
  var COLOR = /^#[0-9a-fA-F]{6}$/;
  var MAX_CHAT = 300;
  var MAX_FLYING = 120;
  var LANE_PX = 30;
  var CROSS_SECONDS = 8;   // a scrolling danmaku crosses the stage in this time (constant speed, no overtaking)
  var PINNED_MS = 4000;

  var lr = null;           // the Liveroom client
  var identity = null;     // what the client was made for (name + secret)
  var room = null;         // the joined room id
  var joinedAt = 0;
  var scrollLanes = [];    // per lane: when the last item's tail is clear of the right edge
  var pinnedLanes = { top: [], bottom: [] };

  // ---- small helpers --------------------------------------------------------------------

  function notice(text, isError) {
    ui.notice.textContent = text || '';
    ui.notice.className = 'notice' + (isError ? ' error' : '');
  }

  function errorText(err) {
    return (err && err.code ? err.code + ': ' : '') + (err && err.message ? err.message : String(err));
  }

  function safeColor(c) {
    return COLOR.test(c || '') ? c : '#ffffff';
  }

  function two(n) {
    return (n < 10 ? '0' : '') + n;
  }

  function timeOf(ts) {
    var d = new Date(ts);
    return two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  // ---- the dev token (a development convenience only) --------------------------------------

  function b64url(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) {
      s += String.fromCharCode(bytes[i]);
    }
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function utf8(s) {
    return new TextEncoder().encode(s);
  }

  function hex(buf) {
    return Array.from(new Uint8Array(buf)).map(function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }

  function requireSubtle() {
    if (!window.crypto || !window.crypto.subtle) {
      throw new Error('signing a dev token needs WebCrypto: open this page over https or on localhost');
    }
  }

  /** A user id from a name: "Zoë Smith" -> "zoe-smith"; names without latin letters get a hash. */
  function userIdFor(name) {
    var s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/[^a-z0-9_.:-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '').slice(0, 48);
    if (s) {
      return Promise.resolve(s);
    }
    requireSubtle();
    return crypto.subtle.digest('SHA-256', utf8(name)).then(function (h) { return 'user-' + hex(h).slice(0, 12); });
  }

  /** Signs an HS256 JWT {sub, name, exp: in 1 h} with the secret, in the browser. */
  function devToken(name, secret) {
    requireSubtle();
    return userIdFor(name).then(function (sub) {
      var head = b64url(utf8(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
      var body = b64url(utf8(JSON.stringify({ sub: sub, name: name, exp: Math.floor(Date.now() / 1000) + 3600 })));
      var input = head + '.' + body;
      return crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
        .then(function (key) { return crypto.subtle.sign('HMAC', key, utf8(input)); })
        .then(function (sig) { return input + '.' + b64url(new Uint8Array(sig)); });
    });
  }

  // ---- rendering --------------------------------------------------------------------------

  var STATUS_TEXT = {
    idle: 'not connected', connecting: 'connecting…', open: 'connected', reconnecting: 'reconnecting…', closed: 'disconnected'
  };

  function showStatus(s) {
    ui.status.textContent = STATUS_TEXT[s] || s;
    ui.status.className = 'pill status-' + s;
    ui.status.setAttribute('data-status', s);
  }

  function showWho() {
    if (!lr || !lr.user) {
      ui.who.textContent = '';
      return;
    }
    var u = lr.user;
    var guest = /^guest-/.test(u.id);
    ui.who.textContent = (guest ? 'watching as guest' : u.name + ' (' + u.id + ')') +
      (lr.node ? ' · node ' + String(lr.node).slice(0, 8) : '');
  }

  function canSend() {
    return !!(lr && lr.user && !/^guest-/.test(lr.user.id) && room && lr.status === 'open');
  }

  function refreshControls() {
    var joined = !!room;
    ui.leave.disabled = !joined;
    ui.text.disabled = !canSend();
    ui.send.disabled = !canSend();
    if (!joined) {
      ui.hint.textContent = 'Join a room to chat. Guests can read but not send.';
    } else if (!canSend() && lr && lr.user && /^guest-/.test(lr.user.id)) {
      ui.hint.textContent = 'You are watching as a guest: enter a name (and the dev secret) and join again to send.';
    } else {
      ui.hint.textContent = 'Enter sends. Color and mode apply to your next danmaku.';
    }
  }

  function chatLine(cls) {
    var li = document.createElement('li');
    if (cls) {
      li.className = cls;
    }
    ui.chat.appendChild(li);
    while (ui.chat.children.length > MAX_CHAT) {
      ui.chat.removeChild(ui.chat.firstChild);
    }
    ui.chat.scrollTop = ui.chat.scrollHeight;
    return li;
  }

  function systemLine(text) {
    var li = chatLine('system');
    li.textContent = text;
  }

  function span(cls, text) {
    var s = document.createElement('span');
    s.className = cls;
    if (text !== undefined) {
      s.textContent = text;
    }
    return s;
  }

  /** One item in the chat list; `time` (optional) replaces the wall clock time, `cls` adds a class. */
  function addChat(d, time, cls) {
    var li = chatLine((d.history ? 'history' : '') + (d.priority ? ' high' : '') + (cls ? ' ' + cls : ''));
    li.setAttribute('data-epoch', String(d.epoch));
    li.setAttribute('data-seq', String(d.seq));
    li.setAttribute('data-user', d.user.id);
    li.appendChild(span('time', time || timeOf(d.ts)));
    var sw = span('swatch');
    sw.style.backgroundColor = safeColor(d.color);
    li.appendChild(sw);
    li.appendChild(span('name', d.user.name));
    li.appendChild(span('text', d.text));
    ui.chat.scrollTop = ui.chat.scrollHeight;
    return li;
  }

  /** The first lane free at `now`, else the one that frees first; busyUntil(i) tells when lane i frees. */
  function pickLane(count, now, busyUntil) {
    var best = 0;
    var bestAt = Infinity;
    for (var i = 0; i < count; i++) {
      var at = busyUntil(i);
      if (!(at > now)) {
        return i;
      }
      if (at < bestAt) {
        best = i;
        bestAt = at;
      }
    }
    return best;
  }

  /**
   * Puts one danmaku on the stage: scrolling right to left, or pinned at the top or bottom. Both
   * are Web Animations (a pinned item's is its time on the stage), so a replay can pause them.
   */
  function fly(d) {
    var layer = ui.layer;
    var W = layer.clientWidth;
    var H = layer.clientHeight;
    if (!W || !H) {
      return null;
    }
    while (layer.children.length >= MAX_FLYING) {
      layer.removeChild(layer.firstChild);
    }
    var el = document.createElement('div');
    el.className = 'dm' + (d.priority ? ' high' : '') + (lr && lr.user && d.user.id === lr.user.id ? ' mine' : '');
    el.textContent = d.text;
    el.style.color = safeColor(d.color);
    el.setAttribute('data-epoch', String(d.epoch));
    el.setAttribute('data-seq', String(d.seq));
    var lanes = Math.max(1, Math.floor((H - 10) / LANE_PX));
    var now = performance.now();
    if (d.mode === 'top' || d.mode === 'bottom') {
      el.className += ' pinned';
      var list = pinnedLanes[d.mode];
      var lane = pickLane(Math.max(1, Math.floor(lanes / 2)), now, function (i) { return list[i] || 0; });
      list[lane] = now + PINNED_MS;
      el.style[d.mode] = (4 + lane * LANE_PX) + 'px';
      layer.appendChild(el);
      var stay = el.animate([{ opacity: 1 }, { opacity: 1 }], { duration: PINNED_MS });
      stay.onfinish = function () { el.remove(); };
      return el;
    }
    el.style.transform = 'translateX(' + W + 'px)';
    layer.appendChild(el);
    var w = el.offsetWidth;
    var speed = W / CROSS_SECONDS; // px per second, the same for every item
    // scrolling items keep out of lanes where a pinned item shows
    var ln = pickLane(lanes, now, function (i) {
      return Math.max(scrollLanes[i] || 0, pinnedLanes.top[i] || 0, pinnedLanes.bottom[lanes - 1 - i] || 0);
    });
    scrollLanes[ln] = Math.max(now, scrollLanes[ln] || 0) + (w + 30) / speed * 1000;
    el.style.top = (4 + ln * LANE_PX) + 'px';
    var anim = el.animate(
      [{ transform: 'translateX(' + W + 'px)' }, { transform: 'translateX(' + (-w - 10) + 'px)' }],
      { duration: (W + w + 10) / speed * 1000, easing: 'linear' });
    anim.onfinish = function () { el.remove(); };
    return el;
  }

  function clearStage() {
    ui.layer.textContent = '';
    scrollLanes = [];
    pinnedLanes = { top: [], bottom: [] };
  }

  // ---- the client ---------------------------------------------------------------------------

  function makeClient(name, secret) {
    var token = name ? function () { return devToken(name, secret); } : undefined;
    var c = new Liveroom({ url: location.origin, token: token });
    c.on('status', function (s) {
      showStatus(s);
      showWho();
      refreshControls();
    });
    c.on('danmaku', function (d) {
      if (d.room !== room) {
        return;
      }
      addChat(d);
      // history fills the chat; only what is new (or just recovered) flies
      if (!d.history || Date.now() - d.ts < 10000) {
        fly(d);
      }
    });
    c.on('presence', function (p) {
      if (p.room === room) {
        ui.online.textContent = String(p.online);
      }
    });
    c.on('room', function (p) {
      if (p.room === room && p.info && p.info.title) {
        ui.roomTitle.textContent = p.info.title;
      }
      if (p.room === room) {
        showPinned(c.room(room).pinned);
      }
    });
    c.on('moderation', function (m) {
      if (m.room !== room) {
        return;
      }
      if (m.action === 'delete' && typeof m.epoch === 'number' && typeof m.seq === 'number') {
        // items are addressed by (epoch, seq): seq alone repeats after the room moves to a new owner
        var sel = '[data-epoch="' + m.epoch + '"][data-seq="' + m.seq + '"]';
        Array.prototype.forEach.call(document.querySelectorAll('.chat li' + sel + ', .dm' + sel), function (n) { n.remove(); });
      }
      // the client keeps the room's pinned item current through pin, unpin and delete
      showPinned(c.room(room).pinned);
    });
    c.on('closed', function (p) {
      if (p.room === room) {
        systemLine('The room ended (' + (p.reason || 'closed') + ').');
        leftRoom();
      }
    });
    c.on('kicked', function (p) {
      if (p.room === room) {
        systemLine('You were removed from the room (' + (p.reason || 'kicked') + ').');
        leftRoom();
      }
    });
    c.on('gap', function (g) {
      if (g.room === room) {
        systemLine(g.recovered === false
          ? 'Reconnected; some messages sent while you were away could not be recovered.'
          : 'Some messages were missed (expected #' + g.expected + ', got #' + g.got + ').');
      }
    });
    c.on('bye', function (b) {
      systemLine('The server closed the connection (' + b.reason + ')' + (b.reason === 'ABUSE' ? '.' : '; reconnecting.'));
    });
    c.on('error', function (err) {
      notice(errorText(err), true);
    });
    c.on('refresherror', function (err) {
      notice('Token refresh failed: ' + errorText(err) + (err.willRetry ? '; trying again.' : ''), true);
    });
    return c;
  }

  /** The room's pinned item above the video, or nothing. */
  function showPinned(item) {
    ui.pinned.textContent = '';
    ui.pinned.hidden = !item;
    if (!item) {
      ui.pinned.removeAttribute('data-epoch');
      ui.pinned.removeAttribute('data-seq');
      return;
    }
    ui.pinned.setAttribute('data-epoch', String(item.epoch));
    ui.pinned.setAttribute('data-seq', String(item.seq));
    ui.pinned.appendChild(span('tag', 'pinned'));
    ui.pinned.appendChild(span('name', item.user && item.user.name !== undefined ? String(item.user.name) : ''));
    ui.pinned.appendChild(span('text', String(item.text !== undefined ? item.text : '')));
  }

  function leftRoom() {
    showPinned(null);
    room = null;
    ui.roomTitle.textContent = 'No room joined';
    ui.online.textContent = '0';
    refreshControls();
  }

  function onJoin(e) {
    e.preventDefault();
    stopReplay();
    var roomId = ui.room.value.trim();
    var name = ui.name.value.trim().slice(0, 64);
    var secret = ui.secret.value;
    if (!ROOM_ID.test(roomId)) {
      notice('A room id has 1 to 64 letters, digits or _ . : - and starts with a letter or digit.', true);
      return;
    }
    if (name && !secret) {
      notice('To send as "' + name + '", enter the dev HS256 secret (or clear the name to watch as a guest).', true);
      return;
    }
    if (name) {
      try {
        requireSubtle();
      } catch (err) {
        notice(err.message + ' (or clear the name to watch as a guest).', true);
        return;
      }
    }
    try {
      localStorage.setItem('liveroom.demo', JSON.stringify({ room: roomId, name: name }));
    } catch (ignored) {
      // private mode
    }
    var wanted = name ? name + '\n' + secret : '';
    ui.join.disabled = true;
    notice('Joining ' + roomId + '…');
    var previous = room;
    var step = Promise.resolve();
    if (!lr || identity !== wanted || lr.status === 'closed') {
      if (lr) {
        lr.close();
      }
      identity = wanted;
      lr = makeClient(name, secret);
    } else if (previous && previous !== roomId) {
      step = lr.leave(previous).catch(function () { /* gone already */ });
    }
    room = null;
    ui.chat.textContent = '';
    clearStage();
    step.then(function () { return lr.connect(); })
      .then(function () { return lr.join(roomId); })
      .then(function (reply) {
        room = roomId;
        joinedAt = Date.now();
        ui.roomTitle.textContent = reply.room && reply.room.title ? reply.room.title : roomId;
        ui.online.textContent = String(reply.online);
        showPinned(lr.room(roomId).pinned);
        notice('Joined ' + roomId + (reply.room && reply.room.state ? ' (' + reply.room.state + ')' : '') + '.');
        showWho();
        refreshControls();
        if (canSend()) {
          ui.text.focus();
        }
      })
      .catch(function (err) {
        notice('Could not join: ' + errorText(err), true);
        leftRoom();
      })
      .then(function () { ui.join.disabled = false; });
  }

  function onLeave() {
    if (!lr || !room) {
      return;
    }
    var r = room;
    leftRoom();
    clearStage();
    lr.leave(r).then(function () { notice('Left ' + r + '.'); }, function (err) { notice(errorText(err), true); });
  }

  function onSend(e) {
    e.preventDefault();
    var text = ui.text.value.trim();
    if (!text || !canSend()) {
      return;
    }
    ui.text.value = '';
    var body = { text: text, color: ui.color.value, mode: ui.mode.value, progress: Math.max(0, Date.now() - joinedAt) };
    lr.send(room, body).catch(function (err) {
      notice('Not sent: ' + errorText(err), true);
      if (!ui.text.value) {
        ui.text.value = text;
      }
    });
  }

  function onCreate(e) {
    e.preventDefault();
    var key = ui.apiKey.value.trim();
    var id = ui.room.value.trim();
    var name = ui.name.value.trim();
    var body = { title: ui.title.value.trim() || 'Demo room', guestsCanRead: ui.guests.checked };
    if (id) {
      if (!ROOM_ID.test(id)) {
        notice('Invalid room id (or leave it empty for a generated one).', true);
        return;
      }
      body.id = id;
    }
    var headers = { Authorization: 'Bearer ' + key, 'Content-Type': 'application/json' };
    var api = location.origin + '/api/v1/rooms';
    notice('Creating…');
    (name ? userIdFor(name) : Promise.resolve('host-1'))
      .then(function (owner) {
        body.ownerId = owner;
        return fetch(api, { method: 'POST', headers: headers, body: JSON.stringify(body) });
      })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (r.status !== 201) {
            var err = new Error((j.error && j.error.message) || ('HTTP ' + r.status));
            err.code = (j.error && j.error.code) || String(r.status);
            throw err;
          }
          return fetch(api + '/' + encodeURIComponent(j.id), { method: 'PATCH', headers: headers, body: '{"state":"live"}' })
            .then(function () { return j; });
        });
      })
      .then(function (created) {
        ui.room.value = created.id;
        notice('Created live room "' + created.id + '"' + (name ? ', owned by you' : '') + '. Click Join.');
      })
      .catch(function (err) { notice('Could not create the room: ' + errorText(err), true); });
  }

  // ---- replay: a recording from /vod/ with the room's archived danmaku at their progress ------

  var LOOKAHEAD_MS = 10000; // each fetch asks for the danmaku up to this far past the video time
  var REPLAY_PAGE = 500;
  var LATE_MS = 3000;       // items this far behind the video (after a stall) go to the chat only
  var rp = null;            // the replay: {room, path, key, gen, nextFrom, fetchedTo, fetching, queue, seen, ...}

  function videoMs() {
    return Math.floor(ui.video.currentTime * 1000);
  }

  function clockOf(ms) {
    var s = Math.floor(ms / 1000);
    return (s >= 3600 ? Math.floor(s / 3600) + ':' : '') + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  }

  /** /vod/ plus the path, each segment escaped; null for an empty path or one with . or .. segments. */
  function vodUrl(path) {
    var segs = path.replace(/^\/+/, '').split('/');
    for (var i = 0; i < segs.length; i++) {
      if (!segs[i] || segs[i] === '.' || segs[i] === '..') {
        return null;
      }
    }
    return '/vod/' + segs.map(encodeURIComponent).join('/');
  }

  /** Forgets what is queued and on the stage, and fetches again from the video's position. */
  function replayFrom(ms) {
    rp.gen++;
    rp.fetching = false;
    rp.failed = false;
    rp.retryAt = 0;
    rp.queue = [];
    rp.seen = {};
    rp.nextFrom = Math.max(0, ms);
    rp.fetchedTo = rp.nextFrom - 1;
    clearStage();
  }

  /** Fetches the next window when less than half the lookahead is known; follows `more` at once. */
  function fetchMore(force) {
    if (!rp || rp.fetching || rp.failed || Date.now() < rp.retryAt) {
      return Promise.resolve();
    }
    var t = videoMs();
    if (!force && rp.fetchedTo >= t + LOOKAHEAD_MS / 2) {
      return Promise.resolve();
    }
    var r = rp;
    var gen = r.gen;
    var from = r.nextFrom;
    var to = Math.max(from, t) + LOOKAHEAD_MS;
    r.fetching = true;
    var url = location.origin + '/api/v1/rooms/' + encodeURIComponent(r.room) + '/replay?fromMs=' + from +
      '&toMs=' + to + '&limit=' + REPLAY_PAGE;
    return fetch(url, { headers: { Authorization: 'Bearer ' + r.key } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (j) {
          if (res.status !== 200) {
            var err = new Error((j.error && j.error.message) || ('HTTP ' + res.status));
            err.code = (j.error && j.error.code) || String(res.status);
            err.status = res.status;
            throw err;
          }
          return j;
        });
      })
      .then(function (page) {
        if (rp !== r || r.gen !== gen) {
          return; // stopped, or the video jumped meanwhile
        }
        r.fetching = false;
        var items = Array.isArray(page.items) ? page.items : [];
        items.forEach(function (d) {
          var k = d.epoch + ':' + d.seq;
          if (!r.seen[k] && typeof d.progress === 'number') {
            r.seen[k] = true;
            r.queue.push(d);
          }
        });
        r.queue.sort(function (a, b) { return a.progress - b.progress || a.epoch - b.epoch || a.seq - b.seq; });
        if (page.more && items.length) {
          // the page was full: go on from the last progress (items there may repeat: seen drops them)
          var last = items[items.length - 1].progress;
          // a full page at one progress would come back forever: the rest of that ms is skipped
          r.nextFrom = last > from ? last : last + 1;
          r.fetchedTo = last - 1;
          pump();
          return fetchMore(true);
        }
        r.nextFrom = to + 1;
        r.fetchedTo = to;
        pump();
      })
      .catch(function (err) {
        if (rp !== r || r.gen !== gen) {
          return;
        }
        r.fetching = false;
        if (err.status === 401 || err.status === 403 || err.status === 404) {
          r.failed = true; // asking again will not help
          notice('Replay of ' + r.room + ': ' + errorText(err) +
            (err.status === 404 ? '' : ' (check the API key in "Create a room")'), true);
        } else {
          r.retryAt = Date.now() + 2000;
          notice('Replay of ' + r.room + ': ' + errorText(err) + '; trying again.', true);
        }
      });
  }

  /** A user of an archived item: {id, name} (or a bare id). */
  function userOf(u) {
    if (u && typeof u === 'object') {
      return { id: String(u.id), name: String(u.name !== undefined ? u.name : u.id) };
    }
    return { id: String(u), name: String(u) };
  }

  function showReplayed(d, late) {
    var item = {
      epoch: d.epoch, seq: d.seq, user: userOf(d.user), text: String(d.text), color: d.color, mode: d.mode,
      priority: d.priority, ts: d.ts
    };
    var li = addChat(item, clockOf(d.progress), 'replayed');
    li.setAttribute('data-progress', String(d.progress));
    if (late) {
      return;
    }
    var el = fly(item);
    if (el) {
      el.setAttribute('data-progress', String(d.progress));
      if (ui.video.paused) {
        el.getAnimations().forEach(function (a) { a.pause(); });
      }
    }
  }

  /** Shows every queued item whose progress the video has reached, then tops up the queue. */
  function pump() {
    if (!rp || ui.video.seeking) {
      return;
    }
    var t = ui.video.currentTime * 1000;
    while (rp.queue.length && rp.queue[0].progress <= t) {
      var d = rp.queue.shift();
      showReplayed(d, t - d.progress > LATE_MS);
    }
    fetchMore(false);
  }

  /** While the video plays, checks every frame (timeupdate alone comes only every ~250 ms). */
  function frame() {
    if (!rp) {
      return;
    }
    pump();
    if (!ui.video.paused && !ui.video.ended) {
      rp.raf = requestAnimationFrame(frame);
    } else {
      rp.raf = 0;
    }
  }

  function setFlying(play) {
    Array.prototype.forEach.call(ui.layer.children, function (el) {
      el.getAnimations().forEach(function (a) {
        if (play) {
          a.play();
        } else {
          a.pause();
        }
      });
    });
  }

  function onVideoEvent(e) {
    if (!rp) {
      return;
    }
    switch (e.type) {
      case 'play':
      case 'playing':
        ui.stage.classList.remove('paused');
        setFlying(true);
        if (!rp.raf) {
          rp.raf = requestAnimationFrame(frame);
        }
        break;
      case 'pause':
        ui.stage.classList.add('paused');
        setFlying(false);
        pump();
        break;
      case 'seeking':
        replayFrom(videoMs());
        ui.chat.textContent = '';
        systemLine('Replay from ' + clockOf(videoMs()) + '.');
        break;
      case 'seeked':
        fetchMore(true).then(pump);
        break;
      case 'timeupdate':
        pump();
        break;
      case 'ended':
        pump();
        systemLine('End of the recording.');
        break;
      case 'error':
        notice('Could not play ' + rp.url + ': ' + (ui.video.error && ui.video.error.message
          ? ui.video.error.message : 'error ' + (ui.video.error && ui.video.error.code)), true);
        break;
      default:
        break;
    }
  }

  function stopReplay() {
    if (!rp) {
      return;
    }
    if (rp.raf) {
      cancelAnimationFrame(rp.raf);
    }
    rp = null;
    ui.video.pause();
    ui.video.removeAttribute('src');
    ui.video.load();
    ui.video.hidden = true;
    ui.stage.classList.remove('replaying', 'paused');
    ui.replayStop.disabled = true;
    clearStage();
    if (!room) {
      ui.roomTitle.textContent = 'No room joined';
    }
  }

  function onReplay(e) {
    e.preventDefault();
    var roomId = ui.replayRoom.value.trim() || ui.room.value.trim();
    if (!ROOM_ID.test(roomId)) {
      notice('Replay: a room id has 1 to 64 letters, digits or _ . : - and starts with a letter or digit.', true);
      return;
    }
    var path = ui.replayPath.value.trim() || roomId + '.webm';
    var url = vodUrl(path);
    if (!url) {
      notice('Replay: the recording is a path under /vod/, without empty, "." or ".." parts.', true);
      return;
    }
    ui.replayRoom.value = roomId;
    ui.replayPath.value = path;
    if (room) {
      onLeave(); // one room at a time: replay replaces the live room
    }
    stopReplay();
    rp = {
      room: roomId, path: path, url: url, key: ui.apiKey.value.trim(), gen: 0, raf: 0,
      nextFrom: 0, fetchedTo: -1, fetching: false, failed: false, retryAt: 0, queue: [], seen: {}
    };
    var r = rp;
    replayFrom(0);
    ui.chat.textContent = '';
    systemLine('Replay of ' + roomId + ': ' + url);
    ui.roomTitle.textContent = 'Replay: ' + roomId;
    ui.online.textContent = '0';
    ui.stage.classList.add('replaying');
    ui.video.hidden = false;
    ui.video.muted = true; // muted video may start without a click (autoplay rules)
    ui.video.src = url;
    ui.replayStop.disabled = false;
    notice('Loading ' + url + ' and the danmaku of ' + roomId + '…');
    // the first window before the video starts, so the first items are on time
    fetchMore(true).then(function () {
      if (rp !== r) {
        return;
      }
      if (!r.failed) {
        notice('Replaying ' + roomId + ' (' + url + ').');
      }
      return ui.video.play();
    }).catch(function (err) {
      if (rp === r) {
        notice('Press play on the video (' + (err && err.message ? err.message : err) + ').', false);
      }
    });
  }

  function tick() {
    if (!room) {
      ui.clock.textContent = '00:00';
      return;
    }
    var s = Math.floor((Date.now() - joinedAt) / 1000);
    ui.clock.textContent = (s >= 3600 ? Math.floor(s / 3600) + ':' : '') + two(Math.floor(s / 60) % 60) + ':' + two(s % 60);
  }

  // ---- start --------------------------------------------------------------------------------

  (function prefill() {
    var saved = {};
    try {
      saved = JSON.parse(localStorage.getItem('liveroom.demo') || '{}') || {};
    } catch (ignored) {
      saved = {};
    }
    var q = new URLSearchParams(location.search);
    var r = q.get('room') || saved.room;
    var n = q.get('name') !== null ? q.get('name') : saved.name;
    if (r) {
      ui.room.value = r;
    }
    if (n) {
      ui.name.value = n;
    }
  })();

  ui.joinForm.addEventListener('submit', onJoin);
  ui.leave.addEventListener('click', onLeave);
  ui.sendForm.addEventListener('submit', onSend);
  ui.createForm.addEventListener('submit', onCreate);
  ui.replayForm.addEventListener('submit', onReplay);
  ui.replayStop.addEventListener('click', function () {
    stopReplay();
    notice('Replay stopped.');
  });
  ['play', 'playing', 'pause', 'seeking', 'seeked', 'timeupdate', 'ended', 'error'].forEach(function (t) {
    ui.video.addEventListener(t, onVideoEvent);
  });
  setInterval(tick, 1000);
  showStatus('idle');
  refreshControls();
  window.liveroomDemo = {
    client: function () { return lr; },
    replay: function () { return rp && { room: rp.room, url: rp.url, queued: rp.queue.length, fetchedTo: rp.fetchedTo }; }
  };
})();
