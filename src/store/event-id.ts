/**
 * Event ids are UUIDv7 (RFC 9562 §5.7) derived from what the log already keeps: the
 * event's time in the 48-bit timestamp, and in the 74 bits RFC 9562 §6.2 lets a generator
 * fill with a counter, the event's `seq` (48 bits) beside a random salt drawn once per
 * database (26 bits). They are therefore time-ordered, unique within a database without an
 * index, distinct across databases with overwhelming probability, and cost nothing to write,
 * which matters to a commit that logs ten thousand new findings.
 */

const SEQ_BITS = 48n;
const SALT_BITS = 26n;
const SALT_LOW_BITS = 14n;

export function eventId(timeMs: number, seq: number, salt: number): string {
  const time = BigInt(timeMs) & ((1n << 48n) - 1n);
  const saltValue = BigInt(salt) & ((1n << SALT_BITS) - 1n);
  const randA = saltValue >> SALT_LOW_BITS; // 12 bits
  const randB = ((saltValue & ((1n << SALT_LOW_BITS) - 1n)) << SEQ_BITS) | (BigInt(seq) & ((1n << SEQ_BITS) - 1n)); // 62 bits
  const hex =
    time.toString(16).padStart(12, '0') +
    (0x7000n | randA).toString(16).padStart(4, '0') +
    ((0b10n << 62n) | randB).toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The `seq` inside an id made by `eventId`, or null when the text is not such an id. */
export function seqOfEventId(id: string): number | null {
  const match = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.exec(id.toLowerCase());
  if (!match) return null;
  const randB = BigInt(`0x${id.slice(19, 23)}${id.slice(24)}`);
  return Number(randB & ((1n << SEQ_BITS) - 1n));
}
