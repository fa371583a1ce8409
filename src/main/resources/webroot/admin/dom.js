// DOM helpers of the admin page. Everything the page shows is built with these: data goes into
// text nodes and attribute values only, never through innerHTML, so room titles, user names and
// message texts (all user input) cannot become markup.

/**
 * Creates an element: el('button', { class: 'danger', onclick: fn }, 'Delete').
 * Attributes named on* become event listeners; true sets the property of that name (hidden,
 * disabled, checked); a value of null or false leaves the attribute out.
 * Children may be nodes, strings or numbers (as text), or null (skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      node.addEventListener(name.slice(2), value);
    } else if (value === true && name in node) {
      node[name] = true; // hidden, disabled, checked, selected...: the property, not only the attribute
    } else if (name === 'value') {
      node.value = String(value);
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child == null || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(node, child);
    } else {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
}

/** Replaces the children of node. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A table with a header row and one row per item; cells(item) gives the row's cells. */
export function table(headers, items, cells, attrs = {}) {
  return el('table', attrs,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, items.map((item) => el('tr', {}, cells(item).map((c) => el('td', {}, c))))));
}

/** A date and time from epoch milliseconds, in the operator's locale. */
export function time(ms) {
  return typeof ms === 'number' && ms > 0 ? new Date(ms).toLocaleString() : '-';
}
