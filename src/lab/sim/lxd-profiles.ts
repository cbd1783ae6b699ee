// LXD profiles (lxd/profiles.go, profiles_utils.go doProfileUpdate, instance/drivers/load.go validDevices,
// device/{disk,nic_ovn,nic_bridged}.go at lxd-5.21.3): the default profile MicroCloud completes with an
// `eth0` NIC and a `root` disk (§3.4). Only those device kinds are modelled.

import type { Machine } from './machine.js';
import { LxdError, lxdDatabase } from './lxd.js';
import { sizeValue } from './lxd-storage.js';
import { NotModelledError } from './program.js';
import type { LxdClusterData, LxdProfile, World } from './world.js';

export interface ProfilePut {
  description: string;
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
}

export function requireProfile(database: LxdClusterData, name: string): LxdProfile {
  const profile = database.profiles[name];
  if (!profile) throw new LxdError('Profile not found');
  return profile;
}

/** instance.ValidConfig for a profile (instancetype.Any, not expanded). */
function validateProfileConfig(config: Record<string, string>): void {
  for (const key of Object.keys(config)) {
    if (key.startsWith('volatile.')) throw new LxdError('Volatile keys can only be set on instances');
    if (key.startsWith('image.')) throw new LxdError('Image keys can only be set on instances');
    if (key.startsWith('user.')) continue;
    throw new NotModelledError(`instance configuration keys in profiles (${key})`);
  }
}

/** validate.IsDeviceName (shared/validate/validate.go). */
function deviceNameProblem(name: string): string | null {
  if (name.length < 1 || name.length > 63) return 'Name must be 1-63 characters long';
  if (name.startsWith('.')) return 'Name must not start with "." character';
  if (!/^[a-zA-Z0-9/\-:_.]+$/.test(name))
    return 'Name can only contain alphanumeric, forward slash, hyphen, colon, underscore and full stop characters';
  return null;
}

/** device.Validate for the modelled kinds: NICs on managed OVN or bridge networks, the root disk. */
function validateDevice(
  database: LxdClusterData,
  name: string,
  device: Record<string, string>,
  all: Record<string, Record<string, string>>,
): void {
  const fail = (message: string): never => {
    throw new LxdError(`Device validation failed for ${JSON.stringify(name)}: ${message}`);
  };
  const nameProblem = deviceNameProblem(name);
  if (nameProblem) throw new LxdError(nameProblem);
  const type = device['type'] ?? '';
  if (type === '') fail(`Failed loading device ${JSON.stringify(name)}: Missing device type in config`);
  if (type === 'nic') {
    const networkName = device['network'] ?? '';
    if (networkName === '') throw new NotModelledError('NIC devices without a managed network (nictype)');
    const network = database.networks.find((n) => n.name === networkName);
    if (!network) {
      fail(
        `Failed loading device ${JSON.stringify(name)}: Failed to load network ${JSON.stringify(networkName)} for project "default": Network not found`,
      );
      return;
    }
    if (network.type === 'physical') throw new NotModelledError('NIC devices on physical networks');
    for (const key of Object.keys(device)) {
      if (!['type', 'network', 'name'].includes(key)) throw new NotModelledError(`NIC device option ${key}`);
    }
    if (network.status !== 'Created') fail('Specified network is not fully created');
    return;
  }
  if (type === 'disk') {
    for (const key of Object.keys(device)) {
      if (!['type', 'path', 'pool', 'size', 'source'].includes(key))
        throw new NotModelledError(`disk device option ${key}`);
    }
    const path = device['path'] ?? '';
    if (path !== '/') throw new NotModelledError('disk devices other than the root disk');
    if ((device['source'] ?? '') !== '') fail('Root disk entry may not have a "source" property set');
    if ((device['pool'] ?? '') === '') fail('Root disk entry must have a "pool" property set');
    const sizeProblem = sizeValue(device['size'] ?? '');
    if (sizeProblem) fail(`Invalid value for device option "size": ${sizeProblem}`);
    const samePath = Object.values(all).filter((d) => d['type'] === 'disk' && d['path'] === path).length;
    if (samePath > 1) fail(`More than one disk device uses the same path ${JSON.stringify(path)}`);
    return;
  }
  if (
    [
      'none',
      'proxy',
      'gpu',
      'usb',
      'unix-char',
      'unix-block',
      'unix-hotplug',
      'infiniband',
      'tpm',
      'pci',
    ].includes(type)
  )
    throw new NotModelledError(`${type} devices`);
  fail('Unsupported device type');
}

/** PUT /1.0/profiles/NAME (doProfileUpdate): config and devices replaced after validation. */
export function updateProfile(world: World, machine: Machine, name: string, put: ProfilePut): void {
  const database = lxdDatabase(world, machine);
  const profile = requireProfile(database, name);
  validateProfileConfig(put.config);
  for (const [deviceName, device] of Object.entries(put.devices)) {
    validateDevice(database, deviceName, device, put.devices);
  }
  profile.description = put.description;
  profile.config = { ...put.config };
  profile.devices = Object.fromEntries(Object.entries(put.devices).map(([k, v]) => [k, { ...v }]));
}

/** The profile as `lxc profile show|edit` gets it (a copy). */
export function profilePut(world: World, machine: Machine, name: string): ProfilePut {
  const profile = requireProfile(lxdDatabase(world, machine), name);
  return {
    description: profile.description,
    config: { ...profile.config },
    devices: Object.fromEntries(Object.entries(profile.devices).map(([k, v]) => [k, { ...v }])),
  };
}
