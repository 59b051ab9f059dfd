// Form conditions (visible_if, required_if, readonly_if) and every other CEL
// expression, evaluated in the browser with the same answers as the server.
//
// How: cel-js (vendor/cel.min.js) parses the expression; cel/evaluator.js runs its
// syntax tree with the server's semantics (cel/operators.js, cel/functions.js), not
// cel-js's own evaluator. Stock CEL cannot give our answers: its doubles are binary
// floating point, an integer never meets a double in arithmetic, null in an operation
// is a type error rather than an empty field, and its string functions count UTF-16
// units. Its built-in functions cannot be replaced (an overload of the same signature
// is refused), so configuring its Environment would leave them wrong.
//
// Decimal literals are read exactly from the expression's own text: the tree keeps
// each literal's position, so `0.1` becomes the fraction 1/10, never the float 0.1,
// and the server need not rewrite the expression before sending it.
//
// Values are typed as the server types them: integers are BigInt, decimal, money and
// percent values are Decimal (exact), dates and date-times Timestamp (microseconds,
// UTC), lists Array, maps Map. An expression that needs an empty field throws
// EmptyValue: a condition then does not apply (it counts as false), as on the server.
// Nothing here evaluates a string as code: the page's CSP needs no 'unsafe-eval'.

import {Environment} from "./vendor/cel.min.js";
import {compileTree} from "./cel/evaluator.js";
import {BUILTINS, parseTimestamp, toDuration} from "./cel/functions.js";
import {
  Decimal, Duration, EmptyValue, EvaluationError, ExpressionError, Timestamp,
} from "./cel/values.js";

export {Decimal, Duration, EmptyValue, EvaluationError, ExpressionError, Timestamp};

const MAX_SOURCE_LENGTH = 4000;
let parser = null;

/** ``source`` with a 0 before each decimal that starts with its point (`.5`): CEL
 * and the server read those, cel-js's lexer does not. Strings and comments are
 * left as they are. */
export function leadingZeros(source) {
  let out = "";
  let at = 0;
  while (at < source.length) {
    const char = source[at];
    if (char === "/" && source[at + 1] === "/") {
      const end = source.indexOf("\n", at);
      const stop = end < 0 ? source.length : end;
      out += source.slice(at, stop);
      at = stop;
    } else if (char === "'" || char === '"') {
      const quote = source.startsWith(char.repeat(3), at) ? char.repeat(3) : char;
      const raw = /[rR]/.test(source.slice(Math.max(0, at - 2), at));
      let end = at + quote.length;
      while (end < source.length && !source.startsWith(quote, end)) end += !raw && source[end] === "\\" ? 2 : 1;
      out += source.slice(at, end + quote.length);
      at = end + quote.length;
    } else {
      const leading = char === "." && /[0-9]/.test(source[at + 1] || "") && !/[0-9A-Za-z_]/.test(source[at - 1] || "");
      out += leading ? "0." : char;
      at++;
    }
  }
  return out;
}

function parse(source) {
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new ExpressionError(`expression longer than ${MAX_SOURCE_LENGTH} characters`);
  }
  parser ??= new Environment({unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false});
  try {
    return parser.parse(source).ast;
  } catch (error) {
    throw new ExpressionError(error.summary || error.message, error.range?.start);
  }
}

/** The compiled expression: ``evaluate(values)`` gives its value or throws EmptyValue
 * (it needs an empty field) or EvaluationError; a syntax error throws ExpressionError. */
export function compileExpression(source) {
  const text = leadingZeros(source);
  const run = compileTree(parse(text), text);
  return {source, evaluate: (values) => run(values || {})};
}

/** A condition: true only when it holds. One that does not apply (an empty field) or
 * fails is false, so a field is not required, read-only or shown because of it. */
export function compileCondition(source) {
  const expression = compileExpression(source);
  return (values) => {
    try {
      return expression.evaluate(values) === true;
    } catch (error) {
      if (error instanceof EvaluationError) return false;
      throw error;
    }
  };
}

/** A plain JS value (JSON, or a form's) as an expression sees it: objects become
 * maps, whole numbers integers and other numbers exact decimals (by their text). */
export function toCel(value) {
  if (value === undefined || value === null) return null;
  if (typeof value === "number") {
    return Number.isInteger(value) ? BigInt(value) : Decimal.parse(String(value));
  }
  if (Array.isArray(value)) return value.map(toCel);
  if (value.constructor === Object) {
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  }
  return value;
}

/** The functions an expression may call here (the server's, functions.py). */
export function functionNames() { return Object.keys(BUILTINS).sort(); }

/** A decimal from its text, exactly ("19.99"). */
export function decimal(text) {
  const value = Decimal.parse(String(text).trim());
  if (value === null) throw new EvaluationError(`'${text}' is not a number`);
  return value;
}

export function timestamp(text) {
  const value = parseTimestamp(text);
  if (value === null) throw new EvaluationError(`'${text}' is not a timestamp with its offset`);
  return value;
}

export function duration(text) { return toDuration(text); }

const DAY = 86400000000n;

/** Names every expression may use besides the record's fields (boundary.py):
 * ``today`` is the date in ``zone`` (where people work), at midnight UTC as dates are. */
export function builtinValues(now = new Date(), user = null, zone = "UTC") {
  const micros = BigInt(now.getTime()) * 1000n;
  const wall = BigInt(now.getTime() + zoneOffset(now.getTime(), zone)) * 1000n;
  const today = (wall >= 0n ? wall / DAY : (wall - DAY + 1n) / DAY) * DAY;
  return {now: new Timestamp(micros), today: new Timestamp(today), user: user ?? 0n};
}

const ZONE_FORMATS = new Map();

/** How far ``zone``'s clocks are ahead of UTC at the moment ``millis``, in ms. */
function zoneOffset(millis, zone) {
  if (zone === "UTC") return 0;
  let format = ZONE_FORMATS.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {timeZone: zone, hourCycle: "h23", year: "numeric",
      month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric"});
    ZONE_FORMATS.set(zone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(millis)).map((p) => [p.type, p.value]));
  const wall = Date.UTC(Number(part.year), Number(part.month) - 1, Number(part.day),
    Number(part.hour), Number(part.minute), Number(part.second));
  return wall - (millis - (((millis % 1000) + 1000) % 1000));
}

/** A wall time without an offset ("2026-12-03T09:30") in ``zone`` as the moment it
 * means there, as the server's from_zone reads a form's control (fieldtypes/datetime.py). */
function zonedTimestamp(text, zone) {
  const utc = parseTimestamp(`${text}Z`);
  if (utc === null || zone === "UTC") return utc;
  const wall = Number(utc.micros / 1000n);
  const first = wall - zoneOffset(wall, zone);
  const millis = wall - zoneOffset(first, zone);
  return new Timestamp(utc.micros - BigInt(wall - millis) * 1000n);
}

const INTEGERS = new Set(["integer", "reference", "user"]);
const DECIMALS = new Set(["decimal", "money", "percent"]);

/** What a form control's text holds for a field of ``type``: empty text is an empty
 * field (null), and text that is no value of the type is one too, as the server
 * would refuse it. ``text`` is a list of texts for the multi- types. */
export function fieldValue(text, type, zone = "UTC") {
  try {
    return controlValue(text, type, zone);
  } catch (error) {
    if (error instanceof EvaluationError) return null; // a date past the year 9999...
    throw error;
  }
}

function controlValue(text, type, zone) {
  if (typeof text === "string" && type.startsWith("multi_")) {
    text = text.split(",").map((part) => part.trim()).filter(Boolean); // "3, 5" as typed
  }
  if (Array.isArray(text)) {
    if (type === "multi_reference") return text.map((t) => controlValue(t, "reference", zone)).filter((v) => v !== null);
    return text;
  }
  if (typeof text === "boolean" || text === null) return text;
  const trimmed = text.trim(); // the server reads a control's text stripped
  if (trimmed === "") return null;
  if (INTEGERS.has(type)) return /^[+-]?\d{1,19}$/.test(trimmed) ? BigInt(trimmed) : null;
  if (DECIMALS.has(type)) return Decimal.parse(trimmed.replace(/,/g, ""));
  if (type === "boolean") return trimmed === "true" || trimmed === "on" || trimmed === "1";
  if (type === "date") return parseTimestamp(`${trimmed}T00:00:00Z`);
  if (type === "datetime") return /(Z|[+-]\d\d:?\d\d)$/.test(trimmed) ? parseTimestamp(trimmed) : zonedTimestamp(trimmed, zone);
  if (type === "json") {
    try { return toCel(JSON.parse(trimmed)); } catch { return null; }
  }
  return trimmed;
}
