// Ports panel: a server listening on a TCP port of the guest, or a
// container's port published on a page port (the tour's web step), opens
// here, in an iframe at ports/PORT/, which the page's Service Worker relays
// to the guest (../ports.ts). The hint gives a server to try. The ports the
// running containers publish are listed, each with its own Open button; a
// container's go from the list when it ends.

import type { PublishedPort } from '../../worker/machine-service.ts';
import { el, panel } from '../dom.ts';

const TRY = 'mkdir -p /tmp/www && echo "<h1>hello from the guest</h1>" > /tmp/www/index.html && httpd -p 8080 -h /tmp/www';

export class PortsPanel {
  readonly root: HTMLElement;
  private readonly port = el('input', { id: 'ports-port', type: 'number', min: '1', max: '65535', value: '8080', 'aria-label': 'guest port' });
  private readonly open = el('button', { id: 'ports-open', disabled: '' }, 'Open');
  private readonly link = el('a', { id: 'ports-link', target: '_blank', hidden: '' }, 'in a new tab');
  private readonly status = el('p', { class: 'hint', id: 'ports-status' }, 'Starting the Service Worker…');
  private readonly frame = el('iframe', { id: 'ports-frame', title: 'the guest port', hidden: '' });
  private readonly list = el('ul', { id: 'ports-published' });
  private readonly none = el('p', { class: 'hint' }, "No running container publishes a port (the tour's web step does).");
  private shown = '';

  constructor() {
    this.open.onclick = () => this.show(Number(this.port.value));
    this.root = panel(
      'ports',
      'Guest ports',
      el('p', { class: 'hint' }, 'A server in the guest is reachable from this page at ports/PORT/. Try in the terminal: ', el('code', {}, TRY)),
      el('div', { class: 'controls' }, this.port, this.open, this.link),
      this.none,
      this.list,
      this.status,
      this.frame,
    );
  }

  /** The Service Worker serves the page (or cannot, and why). */
  ready(result: { ok: true } | { ok: false; why: string }): void {
    this.status.textContent = result.ok ? '' : `Ports cannot be opened: ${result.why}`;
    if (result.ok) this.open.removeAttribute('disabled');
  }

  /** Lists the ports containers publish now. */
  published(ports: PublishedPort[]): void {
    const key = JSON.stringify(ports);
    if (key === this.shown) return;
    this.shown = key;
    this.none.hidden = ports.length > 0;
    this.list.replaceChildren(
      ...ports.map((p) => {
        const open = el('button', {}, 'Open');
        open.onclick = () => this.show(p.port);
        return el('li', { 'data-port': String(p.port), 'data-container': p.container }, el('code', {}, `ports/${p.port}/`), ` → ${p.container}:${p.containerPort} `, open);
      }),
    );
  }

  /** Opens page port `port` in the iframe: the guest's own port, or a container's published there. */
  show(port: number): void {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      this.status.textContent = `${this.port.value} is no TCP port (1 to 65535)`;
      return;
    }
    this.port.value = String(port);
    const url = `ports/${port}/`;
    this.status.textContent = '';
    this.frame.src = url;
    this.frame.hidden = false;
    this.link.href = url;
    this.link.hidden = false;
  }
}
