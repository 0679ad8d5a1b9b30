/**
 * Bounds for hostile DER, checked before any ASN.1 library allocates objects for it. The walk is
 * iterative (an explicit stack, never recursion), so a deeply nested input costs nothing but a
 * refusal.
 */

/**
 * Checks that `bytes` is exactly one DER element whose nested elements all fit inside their
 * parents, use definite lengths and nest at most `maxDepth` constructed levels deep. Primitive
 * contents (OCTET STRING, BIT STRING) are not descended into: callers check nested DER they
 * unwrap themselves.
 *
 * @returns undefined when the shape is acceptable, otherwise a short description of the problem.
 */
export function derShapeProblem(bytes: Uint8Array, maxDepth: number): string | undefined {
  if (bytes.length === 0) return 'empty input';
  const ends: number[] = [bytes.length];
  let pos = 0;
  let topLevelElements = 0;
  while (ends.length > 0) {
    const limit = ends[ends.length - 1] ?? bytes.length;
    if (pos === limit) {
      ends.pop();
      continue;
    }
    if (ends.length === 1 && ++topLevelElements > 1) return 'trailing bytes after the element';
    if (limit - pos < 2) return 'truncated header';
    const tag = bytes[pos++] ?? 0;
    if ((tag & 0x1f) === 0x1f) {
      // High tag number form: base-128 continuation bytes, bounded to 4.
      let continuation = 0;
      let more = true;
      while (more) {
        if (pos >= limit || ++continuation > 4) return 'bad tag';
        more = ((bytes[pos++] ?? 0) & 0x80) !== 0;
      }
    }
    if (pos >= limit) return 'truncated length';
    let length = bytes[pos++] ?? 0;
    if (length === 0x80) return 'indefinite length';
    if (length > 0x80) {
      const octets = length & 0x7f;
      if (octets > 4 || limit - pos < octets) return 'bad length';
      length = 0;
      for (let i = 0; i < octets; i++) length = length * 256 + (bytes[pos++] ?? 0);
    }
    if (length > limit - pos) return 'length beyond its container';
    if ((tag & 0x20) !== 0) {
      if (ends.length > maxDepth) return 'nested too deeply';
      ends.push(pos + length);
    } else {
      pos += length;
    }
  }
  return undefined;
}
