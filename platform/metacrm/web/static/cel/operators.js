// What the operators do to values, as the server's expressions/operators.py does:
// equality, ordering and exact arithmetic over integers (BigInt) and decimals.
// An operation on null throws EmptyValue; any other misuse EvaluationError.

import {
  Decimal, Duration, EmptyValue, EvaluationError, Timestamp, checkedDecimal, checkedDuration,
  checkedInt, checkedSize, checkedTimestamp, compareNumbers, compareStrings, isNumber,
  toDecimal, typeName,
} from "./values.js";

function operands(op, left, right) {
  if (left === null || right === null) {
    throw new EmptyValue(`'${op}' needs a value and met an empty field`);
  }
}

function noOverload(op, left, right) {
  return new EvaluationError(`'${op}' does not apply to a ${typeName(left)} and a ${typeName(right)}`);
}

function sameType(a, b) { return typeName(a) === typeName(b); }

/** CEL's ==: numbers compare by value across integer and decimal, other values of
 * different types are unequal, null equals only null. */
export function equal(left, right) {
  if (left === null || right === null) return left === null && right === null;
  if (!sameType(left, right)) return isNumber(left) && isNumber(right) && compareNumbers(left, right) === 0;
  if (Array.isArray(left)) return left.length === right.length && left.every((a, i) => equal(a, right[i]));
  if (left instanceof Map) {
    if (left.size !== right.size) return false;
    for (const [k, v] of left) {
      if (!right.has(k) || !equal(v, right.get(k))) return false;
    }
    return true;
  }
  if (left instanceof Decimal) return compareNumbers(left, right) === 0;
  if (left instanceof Timestamp || left instanceof Duration) return left.micros === right.micros;
  return left === right;
}

const ORDERED = new Set(["string", "boolean", "timestamp", "duration", "integer", "decimal"]);

export function compare(op, left, right) {
  operands(op, left, right);
  const numbers = isNumber(left) && isNumber(right);
  if (!numbers && !(sameType(left, right) && ORDERED.has(typeName(left)))) {
    throw noOverload(op, left, right);
  }
  let order;
  if (numbers) order = compareNumbers(left, right);
  else if (typeof left === "string") order = compareStrings(left, right);
  else if (typeof left === "boolean") order = Number(left) - Number(right);
  else order = left.micros < right.micros ? -1 : left.micros > right.micros ? 1 : 0;
  switch (op) {
    case "<": return order < 0;
    case "<=": return order <= 0;
    case ">": return order > 0;
    default: return order >= 0;
  }
}

/** ``item in collection``: an element of a list, a key of a map. */
export function contains(item, collection) {
  if (collection === null) throw new EmptyValue("'in' needs a list or a map and met an empty field");
  if (Array.isArray(collection)) return collection.some((element) => equal(item, element));
  if (collection instanceof Map) {
    for (const key of collection.keys()) if (equal(item, key)) return true;
    return false;
  }
  throw new EvaluationError(`'in' needs a list or a map, found a ${typeName(collection)}`);
}

function fraction(op, a, b) {
  const x = toDecimal(a);
  const y = toDecimal(b);
  switch (op) {
    case "+": return checkedDecimal(new Decimal(x.n * y.d + y.n * x.d, x.d * y.d));
    case "-": return checkedDecimal(new Decimal(x.n * y.d - y.n * x.d, x.d * y.d));
    case "*": return checkedDecimal(new Decimal(x.n * y.n, x.d * y.d));
    default: return checkedDecimal(new Decimal(x.n * y.d, x.d * y.n));
  }
}

export function add(left, right) {
  operands("+", left, right);
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left + right);
  if (isNumber(left) && isNumber(right)) return fraction("+", left, right);
  if (typeof left === "string" && typeof right === "string") return checkedSize(left + right);
  if (Array.isArray(left) && Array.isArray(right)) return checkedSize([...left, ...right]);
  if (left instanceof Timestamp && right instanceof Duration) return checkedTimestamp(left.micros + right.micros);
  if (left instanceof Duration && right instanceof Timestamp) return checkedTimestamp(left.micros + right.micros);
  if (left instanceof Duration && right instanceof Duration) return checkedDuration(left.micros + right.micros);
  throw noOverload("+", left, right);
}

export function subtract(left, right) {
  operands("-", left, right);
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left - right);
  if (isNumber(left) && isNumber(right)) return fraction("-", left, right);
  if (left instanceof Timestamp && right instanceof Timestamp) return checkedDuration(left.micros - right.micros);
  if (left instanceof Timestamp && right instanceof Duration) return checkedTimestamp(left.micros - right.micros);
  if (left instanceof Duration && right instanceof Duration) return checkedDuration(left.micros - right.micros);
  throw noOverload("-", left, right);
}

export function multiply(left, right) {
  operands("*", left, right);
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left * right);
  if (isNumber(left) && isNumber(right)) return fraction("*", left, right);
  throw noOverload("*", left, right);
}

export function divide(left, right) {
  operands("/", left, right);
  if (!(isNumber(left) && isNumber(right))) throw noOverload("/", left, right);
  if (compareNumbers(right, 0n) === 0) throw new EvaluationError("division by zero");
  // CEL divides integers toward zero, as BigInt's / does.
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left / right);
  return fraction("/", left, right);
}

export function remainder(left, right) {
  operands("%", left, right);
  if (!(isNumber(left) && isNumber(right))) throw noOverload("%", left, right);
  if (compareNumbers(right, 0n) === 0) throw new EvaluationError("modulus by zero");
  if (typeof left === "bigint" && typeof right === "bigint") return left % right; // sign of the dividend
  const x = toDecimal(left);
  const y = toDecimal(right);
  const a = x.n < 0n ? -x.n : x.n;
  const b = y.n < 0n ? -y.n : y.n;
  const rest = new Decimal((a * y.d) % (b * x.d), x.d * y.d);
  return x.n < 0n ? new Decimal(-rest.n, rest.d) : rest;
}

export function negate(value) {
  if (value === null) throw new EmptyValue("'-' needs a value and met an empty field");
  if (typeof value === "bigint") return checkedInt(-value);
  if (value instanceof Decimal) return new Decimal(-value.n, value.d);
  if (value instanceof Duration) return new Duration(-value.micros);
  throw new EvaluationError(`'-' does not apply to a ${typeName(value)}`);
}

export function logicalNot(value) {
  if (value === null) throw new EmptyValue("'!' needs a value and met an empty field");
  if (typeof value !== "boolean") {
    throw new EvaluationError(`'!' needs true or false, found a ${typeName(value)}`);
  }
  return !value;
}

export const BINARY = {"+": add, "-": subtract, "*": multiply, "/": divide, "%": remainder};
