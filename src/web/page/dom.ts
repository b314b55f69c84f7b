// Small DOM helpers the panels share.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export const hex = (n: number, digits = 8): string => '0x' + (n >>> 0).toString(16).padStart(digits, '0');

/** A panel: a titled section the page lays out in its grid. */
export function panel(id: string, title: string, ...body: Node[]): HTMLElement {
  return el('section', { class: 'panel', id }, el('h2', {}, title), ...body);
}
