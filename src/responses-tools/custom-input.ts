import { isObject } from '../json/is-object.js';

/** The raw input of a custom tool call: the declared string field, else the whole arguments text. */
export function customInput(args: string, field: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (isObject(parsed) && typeof parsed[field] === 'string') return parsed[field];
    if (typeof parsed === 'string') return parsed;
  } catch {
    // not JSON: the model sent the raw text itself
  }
  return args;
}
