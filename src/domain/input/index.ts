// The bounded reader: how mc reads every input (inventories, group_vars/host_vars, ssh_config and its
// Includes, known_hosts, cluster sections, playbooks, vars and task files, templates, preseeds, the
// output of `vagrant ssh-config`), and how it quotes what it read back to the user.
//
// How to use it:
// - A file: `readInputFile(path)` from src/workflows/read-input.ts. It never reads more than
//   limits.maxBytes + 1 bytes, and returns `{ ok: true, text }` (UTF-8, BOM dropped) or
//   `{ ok: false, reason, issue }` with reason 'missing' | 'directory' | 'unreadable' | 'invalid';
//   'invalid' issues are located (file:line:col); the others are about the whole file (line 0), so a
//   caller may word them itself ("inventory file not found: ... (pass -i ...)").
// - Bytes from elsewhere (a process's stdout): `decodeInput(name, bytes)`: the same checks, pure.
// - YAML: `parseBoundedYaml(file, text, yamlOptions)` parses one document and measures it, aliases
//   expanded, against maxNodes/maxDepth/maxAliasCount. When `ok` is false, report `issues` (syntax
//   errors, or exactly one limit issue at the node that went over) and build nothing from the
//   document; when true, build with `toPlainYaml(doc)` or doc.toJS({ maxAliasCount }).
// - Echoing a value in a message: `quoteValue(value)` ("first 60 characters… (20 MiB)", escaped) or
//   `showValue(value)` (the same without quotes). Text mc did not write (host names, task names,
//   remote output lines) goes through `escapeControl(text)` before it reaches a terminal or a log.
// - Names: `addressProblem(value)` for anything mc connects to (IP literal or RFC 1123 host name, never
//   whitespace or a leading '-'), `systemNameProblem(name)` for a name that becomes a MicroCloud system.
// - Report issues as `file:line:col: message` (formatIssue in domain/inventory/issues.ts), exit 2.
// Limits are in limits.ts (DEFAULT_INPUT_LIMITS); pass your own only for a documented reason.
export { escapeControl, quoteValue, showValue, SHOWN_VALUE_LENGTH } from './echo.js';
export { DEFAULT_INPUT_LIMITS, formatSize, KNOWN_HOSTS_MAX_BYTES, type InputLimits } from './limits.js';
export { decodeInput, lineColAt, type DecodeResult } from './text.js';
export type { InputIssue } from './types.js';
export {
  checkYamlLimits,
  parseBoundedYaml,
  toPlainYaml,
  type BoundedYaml,
  type YamlParseOptions,
} from './yaml.js';
export { addressProblem, isHostName, isIpLiteral, systemNameProblem } from './names.js';
