// Plain JSON data as YAML text, the way `kubectl apply view-last-applied` shows an object:
// block style, two-space indents, list items at their key's indent, and every string that a
// YAML 1.1 reader (the server's PyYAML) could take for anything else written as a JSON string.

const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*$/;
const RESERVED = /^(?:y|yes|n|no|true|false|on|off|null)$/i;

function scalar(value) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return PLAIN.test(value) && !RESERVED.test(value) ? value : JSON.stringify(value);
  return String(value);
}

function nested(value) {
  return typeof value === "object" && value !== null && Object.keys(value).length > 0;
}

function inline(value) {
  if (Array.isArray(value)) return "[]";
  if (typeof value === "object" && value !== null) return "{}";
  return scalar(value);
}

function block(value, pad) {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!nested(item)) return [`${pad}- ${inline(item)}`];
      const [first, ...rest] = block(item, pad + "  ");
      return [`${pad}- ${first.slice(pad.length + 2)}`, ...rest];
    });
  }
  return Object.entries(value).flatMap(([key, item]) => {
    if (!nested(item)) return [`${pad}${scalar(key)}: ${inline(item)}`];
    return [`${pad}${scalar(key)}:`, ...block(item, Array.isArray(item) ? pad : pad + "  ")];
  });
}

/** YAML text of a JSON object or array (ends with a newline). */
export function toYaml(value) {
  return nested(value) ? block(value, "").join("\n") + "\n" : inline(value) + "\n";
}
