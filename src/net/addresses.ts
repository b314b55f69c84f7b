// MAC and IPv4 addresses as the stack holds them (a MAC as 6 bytes, an IPv4
// address as an unsigned 32-bit number) and as people write them.

export type Mac = Uint8Array;

export const BROADCAST_MAC: Mac = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export function macToString(mac: Mac): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function parseMac(text: string): Mac {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{2}$/i.test(p))) throw new Error(`not a MAC address: "${text}"`);
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function sameMac(a: Mac, b: Mac): boolean {
  return a.every((v, i) => v === b[i]);
}

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: "${text}"`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0) >>> 0;
}

export function readIp(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeIp(bytes: Uint8Array, at: number, ip: number): void {
  bytes[at] = ip >>> 24;
  bytes[at + 1] = (ip >>> 16) & 255;
  bytes[at + 2] = (ip >>> 8) & 255;
  bytes[at + 3] = ip & 255;
}
