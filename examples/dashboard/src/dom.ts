/**
 * An element with its children. Strings become text nodes: nothing from the gateway is ever
 * parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; title?: string } = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.className) element.className = props.className;
  if (props.title) element.title = props.title;
  element.append(...children);
  return element;
}

/** The element with this id, which `index.html` must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`index.html: expected an element with id "${id}", found none`);
  return element as T;
}

const STALE_TITLE = 'Redis was unavailable: this is the last value the gateway served, from its in-process tier';

/** The marker every value carries while the gateway serves it stale. */
export function staleMarker(stale: boolean): HTMLElement {
  const marker = h('span', { className: 'stale', title: STALE_TITLE }, 'stale');
  marker.hidden = !stale;
  return marker;
}

/** Shows or hides an existing marker. */
export function markStale(marker: HTMLElement, stale: boolean): void {
  marker.hidden = !stale;
  marker.title = STALE_TITLE;
}
