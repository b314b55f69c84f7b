// Packet capture in the classic libpcap file format (what tcpdump -w writes,
// and Wireshark and tshark read): a global header, then each frame with its
// time and length. Link type 1 is Ethernet.

/** Whole frames, a guest's 64 KiB TSO segments too (tcpdump's default). */
const SNAPLEN = 262144;
const LINKTYPE_ETHERNET = 1;

export function pcapHeader(): Uint8Array {
  const h = new DataView(new ArrayBuffer(24));
  h.setUint32(0, 0xa1b2c3d4, true);
  h.setUint16(4, 2, true);
  h.setUint16(6, 4, true);
  h.setUint32(16, SNAPLEN, true);
  h.setUint32(20, LINKTYPE_ETHERNET, true);
  return new Uint8Array(h.buffer);
}

/** One frame's record: its time (ms since the epoch) and bytes. */
export function pcapRecord(timeMs: number, frame: Uint8Array): Uint8Array {
  const kept = Math.min(frame.length, SNAPLEN);
  const r = new Uint8Array(16 + kept);
  const v = new DataView(r.buffer);
  v.setUint32(0, Math.floor(timeMs / 1000), true);
  v.setUint32(4, Math.floor((timeMs % 1000) * 1000), true);
  v.setUint32(8, kept, true);
  v.setUint32(12, frame.length, true);
  r.set(frame.subarray(0, kept), 16);
  return r;
}
