// Turn a syntax tree of cel-js's parser into a function of the variables, with the
// semantics of the server's expressions/evaluator.py (and a step budget like it).
// cel-js gives the tree; its own evaluator is not used, because our dialect differs
// from stock CEL where money needs it: numbers are exact decimals that mix with
// integers, an operation on an empty field is "empty" (the condition does not apply),
// and the functions are ours.

import {BINARY, compare, contains, equal, logicalNot, negate} from "./operators.js";
import {BUILTINS, SIZED_RESULTS, call, unknownFunction} from "./functions.js";
import {
  CostExceeded, Decimal, EmptyValue, EvaluationError, ExpressionError, MAX_INT, MIN_INT,
  typeName,
} from "./values.js";

export const MAX_STEPS = 100000;
const MACROS = {all: [2], exists: [2], exists_one: [2], filter: [2], map: [2, 3]};
const NAMESPACES = new Set(["math"]);

class Activation {
  constructor(variables) {
    this.variables = variables;
    this.locals = new Map();
    this.budget = MAX_STEPS;
  }

  charge(steps) {
    this.budget -= steps;
    if (this.budget < 0) throw new CostExceeded(`the expression needs more than ${MAX_STEPS.toLocaleString("en-US")} steps`);
  }
}

/** The function computing the tree ``ast``; ``input`` is the expression's text. */
export function compileTree(ast, input) {
  const run = build(ast, new Set(), input);
  return (variables) => run(new Activation(variables));
}

function located(node, compute) {
  return (act) => {
    try {
      return compute(act);
    } catch (error) {
      if (error instanceof EvaluationError && error.pos === undefined) error.pos = node.start;
      throw error;
    }
  };
}

function size(node) {
  let count = 1;
  const visit = (x) => {
    if (x && typeof x === "object" && "op" in x) count += size(x);
    else if (Array.isArray(x)) x.forEach(visit);
  };
  visit(node.args);
  return count;
}

function truth(value, what) {
  if (value === null) throw new EmptyValue(`${what} needs true or false and met an empty field`);
  if (typeof value !== "boolean") throw new EvaluationError(`${what} needs true or false, found a ${typeName(value)}`);
  return value;
}

function literal(node, input, negative) {
  let value = node.args;
  if (typeof value === "number") value = Decimal.parse(input.slice(node.start, node.end).trim());
  else if (value !== null && typeof value === "object") {
    const what = value instanceof Uint8Array ? "bytes literals are" : "unsigned integers are";
    throw new ExpressionError(`${what} not supported`, node.start);
  }
  if (negative) value = typeof value === "bigint" ? -value : new Decimal(-value.n, value.d);
  if (typeof value === "bigint" && (value < MIN_INT || value > MAX_INT)) {
    throw new ExpressionError("integer literal out of range (64 bits)", node.start);
  }
  return () => value;
}

function build(node, bound, input) {
  const sub = (child, names = bound) => build(child, names, input);
  const [a, b, c] = Array.isArray(node.args) ? node.args : [node.args];
  switch (node.op) {
    case "value":
      return literal(node, input, false);
    case "id":
      if (bound.has(a)) return (act) => act.locals.get(a);
      return located(node, (act) => {
        const value = act.variables instanceof Map ? act.variables.get(a)
          : Object.hasOwn(act.variables, a) ? act.variables[a] : undefined;
        if (value === undefined) throw new EvaluationError(`unknown name '${a}'`);
        return value;
      });
    case "-_": {
      if (node.args.op === "value" && ["bigint", "number"].includes(typeof node.args.args)) {
        return literal(node.args, input, true);
      }
      const operand = sub(node.args);
      return located(node, (act) => negate(operand(act)));
    }
    case "!_": {
      const operand = sub(node.args);
      return located(node, (act) => logicalNot(operand(act)));
    }
    case "&&": case "||":
      return logical(node.op, sub(a), sub(b), node);
    case "?:": {
      const [condition, then, otherwise] = [sub(a), sub(b), sub(c)];
      return located(node, (act) => (truth(condition(act), "'? :'") ? then(act) : otherwise(act)));
    }
    case "==": case "!=": {
      const [left, right] = [sub(a), sub(b)];
      const same = node.op === "==";
      return (act) => equal(left(act), right(act)) === same;
    }
    case "in": {
      const [left, right] = [sub(a), sub(b)];
      return located(node, (act) => contains(left(act), right(act)));
    }
    case "<": case "<=": case ">": case ">=": {
      const [left, right] = [sub(a), sub(b)];
      return located(node, (act) => compare(node.op, left(act), right(act)));
    }
    case "+": case "-": case "*": case "/": case "%": {
      const [left, right, apply] = [sub(a), sub(b), BINARY[node.op]];
      return located(node, (act) => {
        const result = apply(left(act), right(act));
        if (typeof result === "string" || Array.isArray(result)) act.charge(Math.floor(result.length / 64));
        return result;
      });
    }
    case ".":
      return select(sub(a), b, false, node);
    case "[]":
      return index(sub(a), sub(b), node);
    case "list": {
      const items = node.args.map((item) => sub(item));
      return (act) => items.map((item) => item(act));
    }
    case "map":
      return mapLiteral(node.args.map(([k, v]) => [sub(k), sub(v)]), node);
    case "call":
      if (a === "has") {
        if (b.length !== 1 || b[0].op !== ".") {
          throw new ExpressionError("has() takes one field selection, as in has(details.city)", node.start);
        }
        return select(sub(b[0].args[0]), b[0].args[1], true, node);
      }
      return functionCall(a, null, b, node, sub);
    case "rcall":
      if (b.op === "id" && NAMESPACES.has(b.args) && !bound.has(b.args)) {
        return functionCall(`${b.args}.${a}`, null, c, node, sub);
      }
      if (MACROS[a] && MACROS[a].includes(c.length)) return comprehension(a, b, c, node, bound, input);
      return functionCall(a, b, c, node, sub);
    default:
      throw new ExpressionError(`unsupported construct '${node.op}'`, node.start);
  }
}

function logical(op, left, right, node) {
  // CEL's && and || are commutative over errors: `x > 1 || phone != null` holds when
  // the phone is given, whether or not x is empty.
  const decisive = op === "||";
  return located(node, (act) => {
    let failed = null;
    try {
      if (truth(left(act), `'${op}'`) === decisive) return decisive;
    } catch (error) {
      if (!(error instanceof EvaluationError)) throw error;
      failed = error;
    }
    const second = truth(right(act), `'${op}'`);
    if (failed && second !== decisive) throw failed;
    return second;
  });
}

function select(operand, name, testing, node) {
  return located(node, (act) => {
    const value = operand(act);
    if (value === null) throw new EmptyValue(`'.${name}' met an empty field`);
    if (!(value instanceof Map)) throw new EvaluationError(`a ${typeName(value)} has no field '${name}'`);
    if (testing) return value.has(name);
    if (!value.has(name)) throw new EvaluationError(`no key '${name}' in the map`);
    return value.get(name);
  });
}

function index(operand, key, node) {
  return located(node, (act) => {
    const value = operand(act);
    const at = key(act);
    if (value === null || at === null) throw new EmptyValue("'[]' met an empty field");
    if (Array.isArray(value)) {
      if (typeof at !== "bigint") throw new EvaluationError(`a list index must be an integer, found a ${typeName(at)}`);
      if (at < 0n || at >= BigInt(value.length)) {
        throw new EvaluationError(`index ${at} out of range (the list has ${value.length})`);
      }
      return value[Number(at)];
    }
    if (value instanceof Map) {
      for (const [candidate, item] of value) if (equal(candidate, at)) return item;
      throw new EvaluationError(`no key ${typeof at === "string" ? `'${at}'` : at} in the map`);
    }
    throw new EvaluationError(`a ${typeName(value)} cannot be indexed`);
  });
}

function mapLiteral(entries, node) {
  return located(node, (act) => {
    const result = new Map();
    for (const [key, value] of entries) {
      const found = key(act);
      if (!["string", "bigint", "boolean"].includes(typeof found)) {
        throw new EvaluationError(`a map key must be a string, integer or boolean, found a ${typeName(found)}`);
      }
      if (result.has(found)) throw new EvaluationError(`repeated map key ${found}`);
      result.set(found, value(act));
    }
    return result;
  });
}

function functionCall(name, target, argNodes, node, sub) {
  const entry = Object.hasOwn(BUILTINS, name) ? BUILTINS[name] : undefined;
  if (!entry || (target && !entry.receiver)) throw unknownFunction(name, node.start);
  if (!target && entry.receiver && !entry.globalForm) {
    throw new ExpressionError(`${name}() is a method: write x.${name}(...)`, node.start);
  }
  const expected = target || !entry.receiver ? entry.arities : entry.arities.map((n) => n + 1);
  if (!expected.includes(argNodes.length)) {
    throw new ExpressionError(`${name}() takes ${expected.length === 1 ? expected[0]
      : `${expected[0]} to ${expected.at(-1)}`} argument${expected.length === 1 && expected[0] === 1 ? "" : "s"}, not ${argNodes.length}`, node.start);
  }
  const receiver = target ? sub(target) : null;
  const args = argNodes.map((arg) => sub(arg));
  const sized = SIZED_RESULTS.has(name);
  return located(node, (act) => {
    const values = args.map((arg) => arg(act));
    if (receiver) values.unshift(receiver(act));
    const result = call(name, entry, values, entry.receiver !== null);
    if (sized) act.charge(Math.floor(result.length / 64));
    return result;
  });
}

function comprehension(macro, rangeNode, argNodes, node, bound, input) {
  const variable = argNodes[0];
  if (variable.op !== "id") {
    throw new ExpressionError(`the first argument of ${macro}() must be a simple name for each element`, variable.start);
  }
  const name = variable.args;
  const inner = new Set([...bound, name]);
  const source = build(rangeNode, bound, input);
  const predicateNode = macro === "map" ? (argNodes.length === 3 ? argNodes[1] : null) : argNodes[1];
  const transformNode = macro === "map" ? argNodes.at(-1) : null;
  const predicate = predicateNode && build(predicateNode, inner, input);
  const transform = transformNode && build(transformNode, inner, input);
  const roundCost = 1 + [predicateNode, transformNode].filter(Boolean).reduce((n, x) => n + size(x), 0);

  function* rounds(act) {
    let items = source(act);
    if (items === null) throw new EmptyValue(`${macro}() met an empty field`);
    if (items instanceof Map) items = [...items.keys()];
    if (!Array.isArray(items)) throw new EvaluationError(`${macro}() needs a list or a map, found a ${typeName(items)}`);
    const saved = act.locals.has(name) ? act.locals.get(name) : undefined;
    try {
      for (const item of items) {
        act.charge(roundCost);
        act.locals.set(name, item);
        yield item;
      }
    } finally {
      if (saved === undefined) act.locals.delete(name);
      else act.locals.set(name, saved);
    }
  }
  const test = (act) => truth(predicate(act), `${macro}()`);
  const each = (act, visit) => { for (const _ of rounds(act)) if (visit() === false) return false; return true; }; // eslint-disable-line no-unused-vars

  switch (macro) {
    case "all": return located(node, (act) => each(act, () => test(act)));
    case "exists": return located(node, (act) => !each(act, () => !test(act)));
    case "exists_one": return located(node, (act) => {
      let count = 0;
      each(act, () => { if (test(act)) count++; });
      return count === 1;
    });
    case "filter": return located(node, (act) => {
      const kept = [];
      for (const item of rounds(act)) if (test(act)) kept.push(item);
      return kept;
    });
    default: return located(node, (act) => {
      const mapped = [];
      for (const _ of rounds(act)) if (!predicate || test(act)) mapped.push(transform(act)); // eslint-disable-line no-unused-vars
      return mapped;
    });
  }
}
