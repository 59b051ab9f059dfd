// The functions and methods an expression may call, as the server's
// expressions/functions.py has them. String sizes and positions count characters
// (code points), as the CEL specification says, not UTF-8 bytes nor UTF-16 units.

import {
  Decimal, Duration, EmptyValue, EvaluationError, ExpressionError, MAX_INT, MAX_SIZE,
  Timestamp, checkedDecimal, checkedDuration, checkedInt, checkedSize, checkedTimestamp,
  codePoints, compareNumbers, daysFromCivil, decimalText, fields, floorDiv, isNumber,
  toDecimal, typeName,
} from "./values.js";

const SECOND = 1000000n;

function mismatch(name, args) {
  return new EvaluationError(`${name}() does not apply to (${args.map(typeName).join(", ")})`);
}

// --- conversions --------------------------------------------------------------------

function toInt(value) {
  if (typeof value === "bigint") return value;
  if (value instanceof Decimal) return checkedInt(value.n / value.d); // toward zero
  if (typeof value === "string") {
    if (!/^[+-]?[0-9]{1,19}$/.test(value)) throw new EvaluationError(`int() cannot read '${value.slice(0, 40)}'`);
    return checkedInt(BigInt(value));
  }
  if (value instanceof Timestamp) return value.micros / SECOND;
  throw new EvaluationError(`int() does not apply to a ${typeName(value)}`);
}

const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const TRIM = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");
const trim = (text) => text.replace(TRIM, "");

function toDecimalValue(value) {
  if (isNumber(value)) return toDecimal(value);
  if (typeof value === "string") {
    const number = value.length > 60 ? null : Decimal.parse(trim(value));
    if (number === null) throw new EvaluationError(`'${value.slice(0, 40)}' is not a number`);
    return checkedDecimal(number);
  }
  throw new EvaluationError(`decimal() does not apply to a ${typeName(value)}`);
}

function toText(value) {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Decimal || value instanceof Timestamp || value instanceof Duration) {
    return value.toString();
  }
  throw new EvaluationError(`string() does not apply to a ${typeName(value)}`);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,6}))?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** A timestamp from RFC 3339 text with its offset, or null where the text is none. */
export function parseTimestamp(text) {
  const m = ISO.exec(text);
  if (!m || !m[8]) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((x) => Number(x || 0));
  const days = daysFromCivil(y, mo, d);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || fields(BigInt(days) * 86400000000n).day !== d
      || h > 23 || mi > 59 || s > 59) return null;
  let offset = 0;
  if (m[8] !== "Z") {
    const digits = m[8].replace(":", "");
    offset = (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5) || 0)) * (m[8][0] === "-" ? -1 : 1);
  }
  const micros = BigInt(((days * 24 + h) * 60 + mi - offset) * 60 + s) * SECOND
    + BigInt((m[7] || "").padEnd(6, "0") || 0);
  return checkedTimestamp(micros);
}

function toTimestamp(value) {
  if (value instanceof Timestamp) return value;
  if (typeof value === "bigint") return checkedTimestamp(value * SECOND);
  if (typeof value === "string") {
    const moment = parseTimestamp(value);
    if (moment === null) {
      throw new EvaluationError(`'${value.slice(0, 40)}' is not a timestamp with its offset `
        + "(RFC 3339, e.g. 2026-01-31T09:00:00Z)");
    }
    return moment;
  }
  throw new EvaluationError(`timestamp() does not apply to a ${typeName(value)}`);
}

const DURATION_PART = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ms|us|µs|ns|h|m|s)/y;
const UNITS = {h: 3600000000n, m: 60000000n, s: SECOND, ms: 1000n, us: 1n, µs: 1n, ns: null};
const MAX_DURATION_MICROS = 3652500n * 86400n * SECOND;

export function toDuration(value) {
  if (value instanceof Duration) return value;
  if (typeof value !== "string") throw new EvaluationError(`duration() does not apply to a ${typeName(value)}`);
  const text = trim(value);
  const sign = text.startsWith("-") ? -1n : 1n;
  const body = text.replace(/^[+-]+/, "");
  let total = new Decimal(0n);
  let at = 0;
  while (at < body.length && body.length <= 64) {
    DURATION_PART.lastIndex = at;
    const part = DURATION_PART.exec(body);
    if (!part) break;
    const amount = Decimal.parse(part[1]);
    const unit = UNITS[part[2]] === null ? new Decimal(1n, 1000n) : new Decimal(UNITS[part[2]]);
    total = new Decimal(total.n * amount.d * unit.d + amount.n * unit.n * total.d, total.d * amount.d * unit.d);
    at = DURATION_PART.lastIndex;
  }
  if (!body || at !== body.length) {
    throw new EvaluationError(`'${value.slice(0, 40)}' is not a duration (e.g. '72h', '1h30m', '90s')`);
  }
  // Python's round(): the nearest microsecond, ties to even.
  let micros = total.n / total.d;
  const twice = 2n * (total.n % total.d);
  if (twice > total.d || (twice === total.d && micros % 2n === 1n)) micros++;
  if (micros > MAX_DURATION_MICROS) throw new EvaluationError("duration out of range (about 10,000 years)");
  return checkedDuration(sign * micros);
}

// --- strings ------------------------------------------------------------------------

const chars = (text) => Array.from(text);
const unitsToChars = (text, index) => (index < 0 ? index : codePoints(text.slice(0, index)));
const charsToUnits = (list, index) => list.slice(0, index).join("").length;

function compileRegex(pattern) {
  try {
    return new RegExp(pattern, "u");
  } catch (error) {
    throw new EvaluationError(`invalid regular expression '${pattern.slice(0, 60)}': ${error.message}`);
  }
}

function substring(text, start, end) {
  const list = chars(text);
  const stop = end === undefined ? BigInt(list.length) : end;
  if (!(start >= 0n && start <= stop && stop <= BigInt(list.length))) {
    throw new EvaluationError(`substring(${start}, ${stop}) is out of range for a string of ${list.length} characters`);
  }
  return list.slice(Number(start), Number(stop)).join("");
}

function indexOf(text, part, start = 0n) {
  const list = chars(text);
  if (!(start >= 0n && start <= BigInt(list.length))) throw new EvaluationError(`indexOf start ${start} is out of range`);
  return BigInt(unitsToChars(text, text.indexOf(part, charsToUnits(list, Number(start)))));
}

function replace(text, old, replacement, limit = -1n) {
  // Python's str.replace: an empty ``old`` matches before every character and at the end.
  const pieces = old === "" ? chars(text) : text.split(old);
  const joints = old === "" ? pieces.length + 1 : pieces.length - 1;
  const count = limit < 0n ? joints : Math.min(joints, Number(limit));
  if (codePoints(text) + count * (codePoints(replacement) - codePoints(old)) > MAX_SIZE) {
    throw new EvaluationError(`string longer than ${MAX_SIZE.toLocaleString("en-US")}`);
  }
  if (old === "") {
    return [...pieces, ""].map((c, i) => (i < count ? replacement + c : c)).join("");
  }
  return pieces.slice(0, count + 1).join(replacement)
    + (count < joints ? old + pieces.slice(count + 1).join(old) : "");
}

function split(text, separator, limit = -1n) {
  if (limit === 0n) return [];
  let parts;
  if (separator === "") {
    parts = chars(text);
    if (limit > 0n && parts.length >= Number(limit)) {
      parts = [...parts.slice(0, Number(limit) - 1), parts.slice(Number(limit) - 1).join("")];
    }
  } else {
    parts = text.split(separator);
    if (limit > 0n && parts.length > Number(limit)) {
      parts = [...parts.slice(0, Number(limit) - 1), parts.slice(Number(limit) - 1).join(separator)];
    }
  }
  return checkedSize(parts);
}

function charAt(text, index) {
  const list = chars(text);
  if (!(index >= 0n && index <= BigInt(list.length))) throw new EvaluationError(`charAt(${index}) is out of range`);
  return list[Number(index)] ?? "";
}

function join(items, separator = "") {
  if (!items.every((item) => typeof item === "string")) throw new EvaluationError("join() needs a list of strings");
  return checkedSize(items.join(separator));
}

function size(value) {
  if (typeof value === "string") return BigInt(codePoints(value));
  if (Array.isArray(value)) return BigInt(value.length);
  if (value instanceof Map) return BigInt(value.size);
  throw new EvaluationError(`size() does not apply to a ${typeName(value)}`);
}

const ascii = (text, from, to, shift) => text.replace(new RegExp(`[${from}-${to}]`, "g"),
  (c) => String.fromCharCode(c.charCodeAt(0) + shift));

// --- timestamps ---------------------------------------------------------------------

const ZONES = new Map();

function zoneOffsetMinutes(zone, micros) {
  const fixed = /^([+-])([0-9]{2}):([0-9]{2})$/.exec(zone);
  if (fixed) {
    const minutes = Number(fixed[2]) * 60 + Number(fixed[3]);
    if (minutes >= 24 * 60) throw new EvaluationError(`'${zone}' is not a time zone`);
    return fixed[1] === "-" ? -minutes : minutes;
  }
  let format = ZONES.get(zone);
  if (!format) {
    try {
      format = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", second: "numeric", era: "short"});
    } catch {
      throw new EvaluationError(`'${zone.slice(0, 40)}' is not a time zone (e.g. 'Asia/Shanghai' or '+08:00')`);
    }
    ZONES.set(zone, format);
  }
  const seconds = Number(floorDiv(micros, SECOND));
  const parts = Object.fromEntries(format.formatToParts(new Date(seconds * 1000)).map((p) => [p.type, p.value]));
  const year = parts.era === "BC" ? 1 - Number(parts.year) : Number(parts.year);
  const wall = ((daysFromCivil(year, Number(parts.month), Number(parts.day)) * 24 + Number(parts.hour)) * 60
    + Number(parts.minute)) * 60 + Number(parts.second);
  return Math.round((wall - seconds) / 60);
}

function local(moment, zone) {
  if (zone === undefined) return fields(moment.micros);
  return fields(moment.micros + BigInt(zoneOffsetMinutes(zone, moment.micros)) * 60n * SECOND);
}

function part(read) {
  return (moment, zone) => {
    if (!(moment instanceof Timestamp)) throw new EvaluationError("this method applies to a timestamp, not a duration");
    if (zone !== undefined && typeof zone !== "string") throw mismatch("time zone", [zone]);
    return BigInt(read(local(moment, zone)));
  };
}

function durationPart(unit, timestampPart) {
  return (value, zone) => {
    if (value instanceof Timestamp) return timestampPart(value, zone);
    const whole = (value.micros < 0n ? -value.micros : value.micros) / unit;
    return value.micros >= 0n ? whole : -whole;
  };
}

// --- math ---------------------------------------------------------------------------

function rounded(how) {
  return (value) => {
    if (typeof value === "bigint") return value;
    if (value instanceof Decimal) return new Decimal(how(value));
    throw new EvaluationError(`this function needs a number, found a ${typeName(value)}`);
  };
}
const floor = (x) => floorDiv(x.n, x.d);
const ceil = (x) => -floorDiv(-x.n, x.d);
const truncate = (x) => x.n / x.d;
const halfAway = (x) => {
  const a = x.n < 0n ? -x.n : x.n;
  const whole = (2n * a + x.d) / (2n * x.d);
  return x.n < 0n ? -whole : whole;
};

function extreme(name, wanted) {
  return (...values) => {
    if (values.length === 1 && Array.isArray(values[0])) values = values[0];
    if (!values.length) throw new EvaluationError(`${name} needs at least one number`);
    if (values.some((v) => v === null)) throw new EmptyValue(`${name} met an empty field`);
    if (!values.every(isNumber)) throw new EvaluationError(`${name} needs numbers`);
    return values.reduce((best, v) => (compareNumbers(v, best) === wanted ? v : best));
  };
}

// --- the table ----------------------------------------------------------------------

const S = "string";
const I = "integer";
const ANY = null;
/** name: [impl, receiver types (null: a function only), arities besides the receiver,
 * also callable as f(x, ...), argument types (null: any), null accepted]. */
function builtin(impl, receiver, arities, globalForm = false, args = [], emptyOk = false) {
  return {impl, receiver, arities, globalForm, args, emptyOk};
}
const MOMENTS = ["timestamp"];
const PARTS = ["timestamp", "duration"];
const timestampHours = part((f) => f.hour);
const timestampMinutes = part((f) => f.minute);
const timestampSeconds = part((f) => f.second);
const timestampMillis = part((f) => Math.floor(f.micro / 1000));

export const BUILTINS = {
  size: builtin(size, [S, "list", "map"], [0], true),
  int: builtin(toInt, null, [1]),
  double: builtin(toDecimalValue, null, [1]),
  decimal: builtin(toDecimalValue, null, [1]),
  string: builtin(toText, null, [1]),
  timestamp: builtin(toTimestamp, null, [1]),
  duration: builtin(toDuration, null, [1], false, [S]),
  dyn: builtin((v) => v, null, [1], false, [], true),
  contains: builtin((t, p) => t.includes(p), [S], [1], false, [S]),
  startsWith: builtin((t, p) => t.startsWith(p), [S], [1], false, [S]),
  endsWith: builtin((t, p) => t.endsWith(p), [S], [1], false, [S]),
  matches: builtin((t, p) => compileRegex(p).test(t), [S], [1], true, [S]),
  lowerAscii: builtin((t) => ascii(t, "A", "Z", 32), [S], [0]),
  upperAscii: builtin((t) => ascii(t, "a", "z", -32), [S], [0]),
  trim: builtin(trim, [S], [0]),
  substring: builtin(substring, [S], [1, 2], false, [I, I]),
  indexOf: builtin(indexOf, [S], [1, 2], false, [S, I]),
  lastIndexOf: builtin((t, p) => BigInt(unitsToChars(t, t.lastIndexOf(p))), [S], [1], false, [S]),
  replace: builtin(replace, [S], [2, 3], false, [S, S, I]),
  split: builtin(split, [S], [1, 2], false, [S, I]),
  charAt: builtin(charAt, [S], [1], false, [I]),
  join: builtin(join, ["list"], [0, 1], false, [S]),
  getFullYear: builtin(part((f) => f.year), MOMENTS, [0, 1]),
  getMonth: builtin(part((f) => f.month - 1), MOMENTS, [0, 1]),
  getDayOfMonth: builtin(part((f) => f.day - 1), MOMENTS, [0, 1]),
  getDate: builtin(part((f) => f.day), MOMENTS, [0, 1]),
  getDayOfWeek: builtin(part((f) => f.weekday), MOMENTS, [0, 1]),
  getDayOfYear: builtin(part((f) => f.yearDay), MOMENTS, [0, 1]),
  getHours: builtin(durationPart(3600n * SECOND, timestampHours), PARTS, [0, 1]),
  getMinutes: builtin(durationPart(60n * SECOND, timestampMinutes), PARTS, [0, 1]),
  getSeconds: builtin(durationPart(SECOND, timestampSeconds), PARTS, [0, 1]),
  getMilliseconds: builtin(durationPart(1000n, timestampMillis), PARTS, [0, 1]),
  "math.round": builtin(rounded(halfAway), null, [1]),
  "math.ceil": builtin(rounded(ceil), null, [1]),
  "math.floor": builtin(rounded(floor), null, [1]),
  "math.trunc": builtin(rounded(truncate), null, [1]),
  "math.abs": builtin((v) => {
    if (typeof v === "bigint") return checkedInt(v < 0n ? -v : v);
    if (v instanceof Decimal) return new Decimal(v.n < 0n ? -v.n : v.n, v.d);
    throw new EvaluationError(`math.abs needs a number, found a ${typeName(v)}`);
  }, null, [1]),
  "math.sign": builtin((v) => {
    if (!isNumber(v)) throw new EvaluationError(`math.sign needs a number, found a ${typeName(v)}`);
    const sign = BigInt(compareNumbers(v, 0n));
    return typeof v === "bigint" ? sign : new Decimal(sign);
  }, null, [1]),
  "math.greatest": builtin(extreme("math.greatest", 1), null, range32(), false, [], true),
  "math.least": builtin(extreme("math.least", -1), null, range32(), false, [], true),
};

function range32() { return Array.from({length: 32}, (_, i) => i + 1); }

// Methods whose result's size is charged to the evaluation's budget.
export const SIZED_RESULTS = new Set(["replace", "split", "join", "substring", "lowerAscii",
  "upperAscii", "trim", "string"]);

const KINDS = {string: S, list: "list", map: "map", timestamp: "timestamp", duration: "duration"};

/** Run ``entry`` (a BUILTINS value) on ``args`` (the receiver first for a method). */
export function call(name, entry, args, receiver) {
  if (!entry.emptyOk && args.some((a) => a === null)) throw new EmptyValue(`${name}() met an empty field`);
  const rest = receiver ? args.slice(1) : args;
  if ((receiver && !entry.receiver.includes(KINDS[typeName(args[0])]))
      || rest.some((a, i) => entry.args[i] && typeName(a) !== entry.args[i])) {
    throw mismatch(name, args);
  }
  return entry.impl(...args);
}

export function unknownFunction(name, pos) {
  return new ExpressionError(`unknown function '${name}'`, pos);
}

export {MAX_INT};
