// The values of our CEL dialect in the browser, typed the way the server's
// interpreter (platform/metacrm/expressions) types them: integers are BigInt
// (64-bit, overflow is an error), every number with a fractional part is an exact
// Decimal (a BigInt fraction, as the server's Python Fraction), timestamps and
// durations count microseconds in a BigInt, as Python's datetime and timedelta do.
// Maps are JS Maps, lists Arrays, null is null.

export class ExpressionError extends Error {
  constructor(message, pos) {
    super(message);
    this.pos = pos;
  }
}
/** One evaluation failed: division by zero, an overflow, a value out of range. */
export class EvaluationError extends ExpressionError {}
/** An operation needed a value and met an empty field: the condition does not apply. */
export class EmptyValue extends EvaluationError {}
export class CostExceeded extends EvaluationError {}

export const MIN_INT = -(2n ** 63n);
export const MAX_INT = 2n ** 63n - 1n;
const MAX_NUMBER_BITS = 2048;
export const MAX_SIZE = 100000;
const DAY = 86400000000n; // microseconds
const SECOND = 1000000n;
export const MAX_DURATION = 3652500n * DAY;

export function checkedInt(value) {
  if (value < MIN_INT || value > MAX_INT) {
    throw new EvaluationError("integer overflow (the result leaves 64 bits)");
  }
  return value;
}

export function checkedSize(value) {
  const size = typeof value === "string" ? codePoints(value) : value.length;
  if (size > MAX_SIZE) {
    throw new EvaluationError(`${typeName(value)} longer than ${MAX_SIZE.toLocaleString("en-US")}`);
  }
  return value;
}

/** The number of characters (code points, not UTF-16 units) of a string, as CEL says. */
export function codePoints(text) {
  let count = 0;
  for (const _ of text) count++; // eslint-disable-line no-unused-vars
  return count;
}

/** Strings ordered by code point, as Python orders them (JS's < orders UTF-16 units). */
export function compareStrings(a, b) {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const x = left.next();
    const y = right.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const diff = x.value.codePointAt(0) - y.value.codePointAt(0);
    if (diff) return diff;
  }
}

// --- exact decimals -----------------------------------------------------------------

function gcd(a, b) {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b) [a, b] = [b, a % b];
  return a;
}

export function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

export class Decimal {
  constructor(n, d = 1n) {
    if (d < 0n) { n = -n; d = -d; }
    const g = gcd(n, d) || 1n;
    this.n = n / g;
    this.d = d / g;
    Object.freeze(this);
  }

  /** The exact value of decimal text ("12.50", "-.5", "1e3"), or null. */
  static parse(text) {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!m || (!m[2] && !m[3])) return null;
    const digits = BigInt(`${m[2] || "0"}${m[3] || ""}`);
    let scale = -(m[3] || "").length + Number(m[4] || 0);
    if (Math.abs(scale) > 4000) return null;
    const sign = m[1] === "-" ? -1n : 1n;
    return scale >= 0 ? new Decimal(sign * digits * 10n ** BigInt(scale))
      : new Decimal(sign * digits, 10n ** BigInt(-scale));
  }

  valueOf() { throw new TypeError("a Decimal is not a JS number"); }
  toString() { return decimalText(this); }
}

export function isNumber(v) { return typeof v === "bigint" || v instanceof Decimal; }
export function toDecimal(v) { return v instanceof Decimal ? v : new Decimal(v, 1n); }

export function checkedDecimal(value) {
  if (value.n.toString(2).length > MAX_NUMBER_BITS + 1
      || value.d.toString(2).length > MAX_NUMBER_BITS) {
    throw new EvaluationError("number too large");
  }
  return value;
}

/** a - b compared with 0, for any two numbers (integers or decimals). */
export function compareNumbers(a, b) {
  const x = toDecimal(a);
  const y = toDecimal(b);
  const diff = x.n * y.d - y.n * x.d;
  return diff > 0n ? 1 : diff < 0n ? -1 : 0;
}

/** ``value`` rounded once to ``places`` decimals, as a scaled integer (text.round_to). */
export function roundTo(value, places, rounding = "half_up") {
  const x = toDecimal(value);
  const n = x.n * 10n ** BigInt(places);
  const absolute = n < 0n ? -n : n;
  let whole = absolute / x.d;
  const twice = 2n * (absolute % x.d);
  if (twice > x.d || (twice === x.d && (rounding === "half_up" || whole % 2n === 1n))) whole++;
  return n < 0n ? -whole : whole;
}

/** The shortest exact decimal text of a number (20 places if it has none), as the server. */
export function decimalText(value) {
  const x = toDecimal(value);
  let d = x.d;
  let places = 0;
  for (const f of [2n, 5n]) {
    while (d % f === 0n) { d /= f; places++; }
  }
  if (d !== 1n) places = 20;
  // Enough places for 2^a * 5^b: max(a, b); the loop above counted a + b, an upper bound.
  const scaled = roundTo(x, places);
  const negative = scaled < 0n;
  let digits = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
  let text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  if (places) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return text === "0" || !negative ? text : `-${text}`;
}

// --- timestamps and durations ---------------------------------------------------------

export class Timestamp {
  constructor(micros) { this.micros = micros; Object.freeze(this); }
  toString() { return timestampText(this); }
}

export class Duration {
  constructor(micros) { this.micros = micros; Object.freeze(this); }
  toString() { return `${decimalText(new Decimal(this.micros, SECOND))}s`; }
}

export function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

export function civilFromDays(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524)
    - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

export const MIN_MICROS = BigInt(daysFromCivil(1, 1, 1)) * DAY;
export const MAX_MICROS = BigInt(daysFromCivil(9999, 12, 31)) * DAY + DAY - 1n;

export function checkedTimestamp(micros) {
  if (micros < MIN_MICROS || micros > MAX_MICROS) {
    throw new EvaluationError("timestamp out of range (years 1 to 9999)");
  }
  return new Timestamp(micros);
}

export function checkedDuration(micros) {
  if ((micros < 0n ? -micros : micros) > MAX_DURATION) {
    throw new EvaluationError("duration out of range (about 10,000 years)");
  }
  return new Duration(micros);
}

/** Calendar fields of a moment given in local microseconds (the offset already added). */
export function fields(micros) {
  const days = floorDiv(micros, DAY);
  const rest = micros - days * DAY;
  const [year, month, day] = civilFromDays(Number(days));
  const time = Number(rest / 1000n); // milliseconds of the day
  return {
    year, month, day,
    hour: Math.floor(time / 3600000), minute: Math.floor(time / 60000) % 60,
    second: Math.floor(time / 1000) % 60, micro: Number(rest % SECOND),
    weekday: ((Number(days) % 7) + 11) % 7, // 1970-01-01 was a Thursday (4)
    yearDay: Number(days) - daysFromCivil(year, 1, 1),
  };
}

function timestampText(t) {
  const f = fields(t.micros);
  const two = (n) => String(n).padStart(2, "0");
  const fraction = f.micro ? `.${String(f.micro).padStart(6, "0")}` : "";
  return `${String(f.year).padStart(4, "0")}-${two(f.month)}-${two(f.day)}T${two(f.hour)}:`
    + `${two(f.minute)}:${two(f.second)}${fraction}Z`;
}

export function typeName(value) {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "bigint": return "integer";
    case "string": return "string";
    case "boolean": return "boolean";
    default:
  }
  if (value instanceof Decimal) return "decimal";
  if (Array.isArray(value)) return "list";
  if (value instanceof Map) return "map";
  if (value instanceof Timestamp) return "timestamp";
  if (value instanceof Duration) return "duration";
  return typeof value;
}
