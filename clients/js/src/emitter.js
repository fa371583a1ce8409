/**
 * Listeners by event name. A listener that throws is logged and does not affect the others (nor the
 * connection that emitted the event).
 */
export class Emitter {
  /**
   * @param {string[]} names the events that may be listened to (anything else is a TypeError)
   */
  constructor(names) {
    this._names = names;
    this._handlers = new Map();
  }

  /** Adds a listener; returns a function that removes it. */
  on(event, fn) {
    if (this._names.indexOf(event) < 0) {
      throw new TypeError('Liveroom: unknown event ' + event);
    }
    if (typeof fn !== 'function') {
      throw new TypeError('Liveroom: a listener must be a function');
    }
    const list = this._handlers.get(event) || [];
    list.push(fn);
    this._handlers.set(event, list);
    return () => this.off(event, fn);
  }

  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once(event, fn) {
    const wrapper = (arg) => {
      this.off(event, wrapper);
      fn(arg);
    };
    wrapper.listener = fn; // so that off(event, fn) finds it
    return this.on(event, wrapper);
  }

  /** Removes a listener added with on() or once(). */
  off(event, fn) {
    const list = this._handlers.get(event);
    if (list) {
      this._handlers.set(event, list.filter((f) => f !== fn && f.listener !== fn));
    }
  }

  emit(event, arg) {
    const list = this._handlers.get(event);
    if (!list || !list.length) {
      return;
    }
    for (const fn of list.slice()) {
      try {
        fn(arg);
      } catch (e) {
        if (typeof console !== 'undefined') {
          console.error('liveroom: a "' + event + '" listener threw', e);
        }
      }
    }
  }
}
