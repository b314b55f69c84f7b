// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit words, used by IPv4, ICMP, UDP and TCP: by the
// host's user-mode network (src/net) and by virtio-net, which completes the
// checksums a guest leaves to it (checksum offload).

/** Adds `bytes` to a running 32-bit sum of big-endian 16-bit words (an odd last byte is padded with zero). */
export function sum16(bytes: Uint8Array, start = 0, end = bytes.length, acc = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/** Folds a running sum into the 16-bit checksum field's value. */
export function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** The checksum of a span of bytes (for the IPv4 header and ICMP). */
export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return fold(sum16(bytes, start, end));
}

/** The checksum of a UDP or TCP segment with the IPv4 pseudo-header (RFC 768, RFC 793). */
export function transportChecksum(src: number, dst: number, protocol: number, segment: Uint8Array): number {
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + segment.length;
  return fold(sum16(segment, 0, segment.length, pseudo));
}
