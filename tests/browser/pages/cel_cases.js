// Test only: runs the shared CEL cases (tests/defs/expression_cases.yaml) with the
// browser's evaluator and reports each answer in a JSON form the Python test compares
// with the file's. Loaded by cel_cases.html, which only the browser tests serve.
import {
  Decimal, Duration, EmptyValue, EvaluationError, Timestamp, compileExpression, decimal,
  duration, functionNames, timestamp,
} from "/static/conditions.js";

function decode(spec) {
  if (Array.isArray(spec)) return spec.map(decode);
  if (spec === null || typeof spec !== "object") return spec;
  if ("int" in spec) return BigInt(spec.int);
  if ("decimal" in spec) return decimal(spec.decimal);
  if ("timestamp" in spec) return timestamp(spec.timestamp);
  if ("duration" in spec) return duration(spec.duration);
  return new Map(spec.map.map(([k, v]) => [decode(k), decode(v)]));
}

export function encode(value) {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return {int: value.toString()};
  if (value instanceof Decimal) return {decimal: value.toString()};
  if (value instanceof Timestamp) return {timestamp: value.toString()};
  if (value instanceof Duration) return {duration: value.toString()};
  if (Array.isArray(value)) return value.map(encode);
  if (value instanceof Map) return {map: [...value].map(([k, v]) => [encode(k), encode(v)])};
  return {unknown: String(value)};
}

/** Each case's answer: {value}, {error: "empty"}, {error: message} or, where the
 * browser could not answer at all, {crash: message}. */
export function runCases(cases) {
  return cases.map(({expr, vars}) => {
    const variables = Object.fromEntries(Object.entries(vars || {}).map(([k, v]) => [k, decode(v)]));
    try {
      return {value: encode(compileExpression(expr).evaluate(variables))};
    } catch (error) {
      if (error instanceof EmptyValue) return {error: "empty", message: error.message};
      if (error instanceof EvaluationError) return {error: error.message};
      return {crash: `${error.constructor.name}: ${error.message}`};
    }
  });
}

/** Whether each source parses (and its functions exist), as the server decides
 * before anything runs: true, or the reason it does not. */
export function parses(sources) {
  return sources.map((source) => {
    try {
      compileExpression(source);
      return true;
    } catch (error) {
      return error.message;
    }
  });
}

window.celCases = {runCases, functionNames, parses};
