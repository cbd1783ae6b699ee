// What may stand where mc expects an address or a host name. An address reaches ssh2's connect and
// error messages, a system name reaches MicroCloud's preseed and `hostnamectl`: neither may carry
// whitespace, an option (`-oProxyCommand=...`) or shell syntax, whatever the inventory format.
import { isIPv4, isIPv6 } from 'node:net';
import { showValue } from './echo.js';

/** RFC 1123 label: letters, digits and '-', 1 to 63 characters, no '-' first or last. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** The same, with '_' too: DNS and OpenSSH accept it in names (ssh_config Host aliases often hold one). */
const LABEL_WITH_UNDERSCORE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** An RFC 1123 host name (a trailing dot allowed), at most 253 characters; its last label not all digits. */
export function isHostName(name: string, options: { underscore?: boolean } = {}): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253) return false;
  const labels = bare.split('.');
  const label = options.underscore === true ? LABEL_WITH_UNDERSCORE : LABEL;
  // A numeric last label is a mistyped IPv4 address (1.2.3, 01.2.3.4), never a host name (RFC 3696 §2).
  return labels.every((part) => label.test(part)) && !/^[0-9]+$/.test(labels.at(-1) ?? '');
}

/** An IPv4 literal (dotted quad) or an IPv6 literal (a `%zone` allowed), without brackets. */
export function isIpLiteral(value: string): boolean {
  return isIPv4(value) || isIPv6(value);
}

/**
 * Why `value` cannot be an address to connect to, or undefined when it is one: an IPv4 or IPv6
 * literal, or a host name (RFC 1123, '_' tolerated as OpenSSH does).
 */
export function addressProblem(value: string): string | undefined {
  if (isIpLiteral(value) || isHostName(value, { underscore: true })) return undefined;
  const shown = showValue(value);
  if (value.trim() === '') return 'is empty (give a host name or an IP address)';
  if (/^\s*-/.test(value)) return `"${shown}" starts with '-': it would read as an option, not an address`;
  if (/\s/.test(value))
    return `"${shown}" holds whitespace: give one host name or IP address, options go elsewhere`;
  if (value.startsWith('[') && value.endsWith(']') && isIPv6(value.slice(1, -1)))
    return `"${shown}": write the IPv6 address without brackets`;
  if (/^[0-9.]+$/.test(value)) return `"${shown}" is not a valid IPv4 address`;
  if (value.includes('@'))
    return `"${shown}" holds a user name: give the user separately (user / ansible_user)`;
  return `"${shown}" is not a host name or an IP address (host names use letters, digits, '-' and '.')`;
}

/** Linux's HOST_NAME_MAX: what `hostnamectl set-hostname` accepts, and so what a member may be called. */
const SYSTEM_NAME_MAX = 64;

/**
 * Why `name` cannot be a MicroCloud system name (which is the host's name, §2.1), or undefined:
 * an RFC 1123 host name of at most 64 characters.
 */
export function systemNameProblem(name: string): string | undefined {
  if (name.length <= SYSTEM_NAME_MAX && isHostName(name) && !name.endsWith('.')) return undefined;
  const shown = showValue(name);
  if (name.length > SYSTEM_NAME_MAX) return `"${shown}" is longer than ${SYSTEM_NAME_MAX} characters`;
  return `"${shown}" is not a valid host name (letters, digits, '-' and '.'; no '-' at either end of a label)`;
}
