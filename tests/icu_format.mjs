// Parse and format translation strings with intl-messageformat, the ICU MessageFormat
// library Home Assistant's frontend localizes with (package.json pins it).
//
// The frontend's localize (src/common/translations/localize.ts; the same call in the
// bundle of home-assistant-frontend 20260930.5) builds `new IntlMessageFormat(text,
// language, formats)` without options, so `<` before a letter opens a tag there; other
// callers pass { ignoreTag: true }. Every string is tried both ways.
//
// stdin: a JSON list of { text, locale, values }.
// stdout: a JSON list with, for each: { arguments, simple, rendered: { mode: text },
// errors: { mode: message } }. `arguments` are the placeholder names the string uses;
// `simple` is true when it is nothing but text and plain {name} placeholders.
import { readFileSync } from "node:fs";
import { IntlMessageFormat } from "intl-messageformat";

const MODES = { frontend: undefined, ignore_tag: { ignoreTag: true } };
// Element types of @formatjs/icu-messageformat-parser's AST.
const LITERAL = 0;
const ARGUMENT = 1;
const POUND = 7;
const TAG = 8;

function argumentsOf(elements, found) {
  for (const element of elements) {
    if (element.type === TAG) {
      argumentsOf(element.children, found);
    } else if (element.type !== LITERAL && element.type !== POUND) {
      found.add(element.value); // argument, number, date, time, select, plural
      for (const option of Object.values(element.options ?? {})) {
        argumentsOf(option.value, found);
      }
    }
  }
  return found;
}

function examine({ text, locale, values }) {
  const result = { arguments: [], simple: false, rendered: {}, errors: {} };
  for (const [mode, options] of Object.entries(MODES)) {
    let message;
    try {
      message = new IntlMessageFormat(text, locale, undefined, options);
    } catch (error) {
      result.errors[mode] = `does not parse: ${error.message.split("\n")[0]}`;
      continue;
    }
    const ast = message.getAst();
    if (mode === "frontend") {
      result.arguments = [...argumentsOf(ast, new Set())].sort();
      result.simple = ast.every((e) => e.type === LITERAL || e.type === ARGUMENT);
    }
    try {
      result.rendered[mode] = String(message.format(values));
    } catch (error) {
      result.errors[mode] = `does not format: ${error.message.split("\n")[0]}`;
    }
  }
  return result;
}

const messages = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(messages.map(examine)));
