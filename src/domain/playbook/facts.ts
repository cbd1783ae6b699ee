// Facts under Ansible's names, from one short command per host: what playbooks commonly read
// (ansible_hostname, ansible_distribution, ansible_default_ipv4, ...). The command prints key=value lines.
// Beside them, mc's own facts under `mc_facts` (disks, NICs, snap services), read by the probe's commands and
// parsers in the same round trip.
import { IP_ADDR_COMMAND, LSBLK_COMMAND, parseIpAddr, parseLsblk } from '../facts/index.js';
import { framedScript, splitFramed } from '../framed.js';
import type { FramedOutput } from '../framed.js';

/** POSIX sh; every probe is optional, so a minimal host still answers. */
export const FACTS_COMMAND = [
  'echo "hostname=$(hostname -s 2>/dev/null || hostname)"',
  'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
  'echo "nodename=$(uname -n)"',
  'echo "kernel=$(uname -r)"',
  'echo "system=$(uname -s)"',
  'echo "machine=$(uname -m)"',
  'echo "nproc=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"',
  'echo "memtotal_kb=$(awk \'/^MemTotal:/{print $2}\' /proc/meminfo 2>/dev/null)"',
  'echo "user=$(id -un)"',
  '( . /etc/os-release 2>/dev/null; echo "os_id=$ID"; echo "os_version=$VERSION_ID"; echo "os_codename=$VERSION_CODENAME"; echo "os_name=$NAME" )',
  'echo "debian_version=$(cat /etc/debian_version 2>/dev/null)"',
  'echo "route=$(ip -4 route show default 2>/dev/null | head -n1)"',
  'echo "addrs=$(ip -4 -o addr show 2>/dev/null | awk \'{print $2 "/" $4}\' | tr "\\n" " ")"',
  'echo "systemd=$([ -d /run/systemd/system ] && echo yes || echo no)"',
].join('; ');

const DISTRIBUTIONS: Record<string, string> = {
  ubuntu: 'Ubuntu',
  debian: 'Debian',
  centos: 'CentOS',
  fedora: 'Fedora',
  rhel: 'RedHat',
  rocky: 'Rocky',
  almalinux: 'AlmaLinux',
  alpine: 'Alpine',
  arch: 'Archlinux',
  opensuse: 'openSUSE',
};
const FAMILIES: Record<string, string> = {
  Ubuntu: 'Debian',
  Debian: 'Debian',
  CentOS: 'RedHat',
  Fedora: 'RedHat',
  RedHat: 'RedHat',
  Rocky: 'RedHat',
  AlmaLinux: 'RedHat',
  Alpine: 'Alpine',
  Archlinux: 'Archlinux',
  openSUSE: 'Suse',
};

function prefixToNetmask(prefix: number): string {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 255).join('.');
}

function networkOf(address: string, prefix: number): string {
  const parts = address.split('.').map(Number);
  const value = ((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const net = (value & mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
}

/** The facts as Ansible names them, from FACTS_COMMAND's output. */
export function parseFacts(stdout: string): Record<string, unknown> {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) kv.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  const get = (k: string): string => kv.get(k) ?? '';
  const id = get('os_id');
  const distribution = DISTRIBUTIONS[id] ?? (get('os_name').split(' ')[0] || 'NA');
  const version =
    distribution === 'Debian' && /^\d/.test(get('debian_version'))
      ? get('debian_version')
      : get('os_version');
  const route = /default via (\S+) dev (\S+)/.exec(get('route'));
  const addresses = get('addrs')
    .split(' ')
    .filter((a) => a !== '')
    .map((a) => {
      const [dev, cidr] = a.split('/', 2) as [string, string];
      const [address, prefix] = (cidr ?? '').split('/');
      return { dev, address: address ?? '', prefix: Number(prefix ?? 32) };
    });
  const defaultDev = route?.[2];
  const primary = addresses.find((a) => a.dev === defaultDev);
  const defaultIpv4: Record<string, unknown> =
    route === null || primary === undefined
      ? {}
      : {
          address: primary.address,
          interface: primary.dev,
          alias: primary.dev,
          gateway: route[1],
          netmask: prefixToNetmask(primary.prefix),
          network: networkOf(primary.address, primary.prefix),
          prefix: String(primary.prefix),
        };
  const memKb = Number(get('memtotal_kb'));
  const vcpus = Number(get('nproc'));
  return {
    ansible_hostname: get('hostname'),
    ansible_nodename: get('nodename'),
    ansible_fqdn: get('fqdn'),
    ansible_kernel: get('kernel'),
    ansible_system: get('system'),
    ansible_architecture: get('machine'),
    ansible_distribution: distribution,
    ansible_distribution_version: version,
    ansible_distribution_major_version: version.split('.')[0] ?? '',
    ansible_distribution_release: get('os_codename'),
    ansible_os_family: FAMILIES[distribution] ?? distribution,
    ansible_memtotal_mb: Number.isFinite(memKb) ? Math.floor(memKb / 1024) : 0,
    ansible_processor_vcpus: Number.isFinite(vcpus) ? vcpus : 0,
    ansible_processor_nproc: Number.isFinite(vcpus) ? vcpus : 0,
    ansible_user_id: get('user'),
    ansible_default_ipv4: defaultIpv4,
    ansible_all_ipv4_addresses: addresses.filter((a) => !a.address.startsWith('127.')).map((a) => a.address),
    ansible_interfaces: [...new Set(addresses.map((a) => a.dev))],
    ansible_pkg_mgr: FAMILIES[distribution] === 'Debian' ? 'apt' : 'unknown',
    ansible_service_mgr: get('systemd') === 'yes' ? 'systemd' : 'unknown',
  };
}

/** `snap services`: which MicroCloud daemons (and any other snap's) are enabled and running. */
export const SNAP_SERVICES_COMMAND = 'snap services';

/** The facts script: Ansible's common facts and mc's own, side by side in one round trip. */
export function gatherFactsScript(nonce: string): string {
  return framedScript(
    [
      { name: 'ansible', command: FACTS_COMMAND },
      { name: 'disks', command: LSBLK_COMMAND },
      { name: 'nics', command: IP_ADDR_COMMAND },
      { name: 'services', command: SNAP_SERVICES_COMMAND },
    ],
    nonce,
  );
}

/** Every fact from gatherFactsScript's output: Ansible's names, and mc's own under `mc_facts`. */
export function parseGatheredFacts(stdout: string, nonce: string): Record<string, unknown> {
  const sections = splitFramed(stdout, nonce);
  const ansible = sections.get('ansible');
  if (ansible === undefined) throw new Error('fact gathering did not run to its end');
  return { ...parseFacts(ansible.stdout), mc_facts: mcFacts(sections) };
}

/**
 * mc_facts: `disks` (every block device lsblk lists), `nics` (every link `ip addr` lists), `services` (snap
 * services; none where snapd is absent). What could not be read is named under `errors`, so a playbook can
 * tell "no disks" from "could not look".
 */
export function mcFacts(sections: Map<string, FramedOutput>): Record<string, unknown> {
  const errors: Record<string, string> = {};
  const read = <T>(name: string, parse: (text: string) => T[]): T[] => {
    const section = sections.get(name);
    if (section === undefined || section.exitCode !== 0) {
      errors[name] =
        section === undefined
          ? 'did not run to its end'
          : (section.stderr.trim().split('\n')[0] ?? '') || `exit status ${section.exitCode}`;
      return [];
    }
    try {
      return parse(section.stdout);
    } catch (err) {
      errors[name] = (err as Error).message.split('\n')[0] ?? 'unreadable';
      return [];
    }
  };
  const disks = read('disks', (text) =>
    parseLsblk(text).devices.map((d) => ({
      name: d.name,
      path: d.path,
      type: d.type,
      size_bytes: d.sizeBytes,
      model: d.model,
      serial: d.serial,
      wwn: d.wwn,
      rotational: d.rotational,
      removable: d.removable,
      read_only: d.readOnly,
      fstype: d.fsType,
      mountpoints: d.mountpoints,
      parents: d.parents,
    })),
  );
  const nics = read('nics', (text) =>
    parseIpAddr(text).map((n) => ({
      name: n.name,
      kind: n.kind,
      mac: n.macAddress,
      mtu: n.mtu,
      state: n.operState,
      up: n.adminUp,
      master: n.master,
      addresses: n.addresses.map((a) => ({ family: a.family, address: a.address, prefix: a.prefixLength })),
    })),
  );
  // Where snapd is missing, `snap` is not found (exit 127): no snap services, not an error.
  const servicesSection = sections.get('services');
  const services =
    servicesSection?.exitCode === 127 ? [] : read('services', (text) => parseSnapServices(text));
  return { disks, nics, services, errors };
}

/** `snap services` columns: Service, Startup, Current, Notes. */
export function parseSnapServices(text: string): Record<string, unknown>[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return [];
  if (!/^Service\s+Startup\s+Current/.test(lines[0] as string))
    throw new Error('snap services: the output has no "Service Startup Current" header');
  return lines.slice(1).map((line) => {
    const [name = '', startup = '', current = '', ...notes] = line.trim().split(/\s+/);
    return {
      name,
      snap: name.split('.')[0] ?? name,
      enabled: startup === 'enabled',
      active: current === 'active',
      notes: notes.join(' ') === '-' ? '' : notes.join(' '),
    };
  });
}
