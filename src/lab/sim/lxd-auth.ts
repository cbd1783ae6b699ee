// LXD 5.21's projects and fine-grained authorization (the `access_management` API extension): projects
// (lxd/api_project.go, lxd/project/project.go), authorization groups with permissions (lxd/auth_groups.go,
// lxd/auth/entitlements_generated.go) and identities with their groups (lxd/identities.go), read from
// canonical/lxd at lxd-5.21.4. Errors are LXD's own texts. Entities other than the server and projects are
// not modelled (no instances, images, ... exist in the simulator), so a permission on one is refused as such.

import { LxdError, lxdDatabase } from './lxd.js';
import { NotModelledError } from './program.js';
import type { LxdAuthGroup, LxdClusterData, LxdIdentity, LxdPermission, LxdProject, World } from './world.js';
import { goMap, type GoStruct } from './yaml-v2.js';

export const IDENTITY_TYPE_OIDC = 'OIDC client';
export const IDENTITY_TYPE_TLS_FINE_GRAINED = 'Client certificate';
export const IDENTITY_TYPE_TLS_UNRESTRICTED = 'Client certificate (unrestricted)';
const FINE_GRAINED_TYPES = [
  IDENTITY_TYPE_OIDC,
  IDENTITY_TYPE_TLS_FINE_GRAINED,
  'Client certificate (pending)',
];

/** dbCluster.ProjectFeatures: the default project has all of them; a new one those enabled by default. */
const FEATURES_DEFAULT_ON = [
  'features.images',
  'features.profiles',
  'features.storage.volumes',
  'features.storage.buckets',
];
const FEATURES = [...FEATURES_DEFAULT_ON, 'features.networks', 'features.networks.zones'];

/** projectValidateConfig's keys (lxd-5.21.4); values are checked for the boolean ones only. */
const PROJECT_KEYS = new Set([
  'backups.compression_algorithm',
  ...FEATURES,
  'images.auto_update_cached',
  'images.auto_update_interval',
  'images.compression_algorithm',
  'images.default_architecture',
  'images.remote_cache_expiry',
  'limits.instances',
  'limits.containers',
  'limits.virtual-machines',
  'limits.memory',
  'limits.processes',
  'limits.cpu',
  'limits.disk',
  'limits.networks',
  'restricted',
  'restricted.backups',
  'restricted.cluster.groups',
  'restricted.cluster.target',
  'restricted.containers.interception',
  'restricted.containers.nesting',
  'restricted.containers.lowlevel',
  'restricted.containers.privilege',
  'restricted.devices.infiniband',
  'restricted.devices.gpu',
  'restricted.devices.usb',
  'restricted.devices.pci',
  'restricted.devices.proxy',
  'restricted.devices.nic',
  'restricted.devices.disk',
  'restricted.devices.disk.paths',
  'restricted.idmap.uid',
  'restricted.idmap.gid',
  'restricted.networks.access',
  'restricted.networks.uplinks',
  'restricted.networks.subnets',
  'restricted.networks.zones',
  'restricted.snapshots',
  'restricted.virtual-machines.lowlevel',
]);
const BOOL_KEYS = new Set([...FEATURES, 'images.auto_update_cached', 'restricted']);

/** auth.EntitlementsByEntityType for the two entity types modelled. */
export const ENTITLEMENTS: Readonly<Record<'server' | 'project', readonly string[]>> = {
  server: [
    'admin',
    'viewer',
    'can_edit',
    'permission_manager',
    'can_view_permissions',
    'can_create_identities',
    'can_view_identities',
    'can_edit_identities',
    'can_delete_identities',
    'can_create_groups',
    'can_view_groups',
    'can_edit_groups',
    'can_delete_groups',
    'can_create_identity_provider_groups',
    'can_view_identity_provider_groups',
    'can_edit_identity_provider_groups',
    'can_delete_identity_provider_groups',
    'storage_pool_manager',
    'can_create_storage_pools',
    'can_edit_storage_pools',
    'can_delete_storage_pools',
    'project_manager',
    'can_create_projects',
    'can_view_projects',
    'can_edit_projects',
    'can_delete_projects',
    'can_override_cluster_target_restriction',
    'can_view_privileged_events',
    'can_view_resources',
    'can_view_metrics',
    'can_view_warnings',
    'can_view_unmanaged_networks',
  ],
  project: [
    'operator',
    'viewer',
    'can_view',
    'can_edit',
    'can_delete',
    ...['image', 'image_alias', 'instance', 'network', 'network_acl', 'network_zone', 'profile']
      .concat(['storage_volume', 'storage_bucket'])
      .flatMap((kind) => {
        const plural = kind === 'image_alias' ? 'image_aliases' : `${kind}s`;
        return [
          `${kind}_manager`,
          `can_create_${plural}`,
          `can_view_${plural}`,
          `can_edit_${plural}`,
          `can_delete_${plural}`,
          ...(kind === 'instance' ? ['can_operate_instances'] : []),
        ];
      }),
    'can_view_operations',
    'can_view_events',
    'can_view_metrics',
  ],
};

/** shared/entity/type.go: every entity type LXD 5.21 knows. */
const ENTITY_TYPES = [
  'container',
  'image',
  'profile',
  'project',
  'certificate',
  'instance',
  'instance_backup',
  'instance_snapshot',
  'network',
  'network_acl',
  'cluster_member',
  'operation',
  'storage_pool',
  'storage_volume',
  'storage_volume_backup',
  'storage_volume_snapshot',
  'warning',
  'cluster_group',
  'storage_bucket',
  'server',
  'image_alias',
  'network_zone',
  'identity',
  'group',
  'identity_provider_group',
];

export function validateEntityType(type: string): void {
  if (!ENTITY_TYPES.includes(type)) throw new LxdError(`Unknown entity type ${JSON.stringify(type)}`);
}

// ---------------------------------------------------------------------------------------------------------
// Projects.

export function projectsOf(database: LxdClusterData): LxdProject[] {
  database.projects ??= [
    {
      name: 'default',
      description: 'Default LXD project',
      config: Object.fromEntries(FEATURES.map((k) => [k, 'true'])),
    },
  ];
  return database.projects;
}

export function requireProject(database: LxdClusterData, name: string): LxdProject {
  const project = projectsOf(database).find((p) => p.name === name);
  if (!project) throw new LxdError('Project not found');
  return project;
}

/** project.ValidName. */
function validProjectName(name: string): void {
  if (name === '') throw new LxdError('No name provided');
  if (name === '*') throw new LxdError('Reserved project name');
  if (name === '.' || name === '..') throw new LxdError(`Invalid project name ${JSON.stringify(name)}`);
  if (name.includes('\\')) throw new LxdError('Project names may not contain back slashes');
  if (name.includes('/')) throw new LxdError('Project names may not contain slashes');
  if (name.includes(' ')) throw new LxdError('Project names may not contain spaces');
  if (name.includes('_')) throw new LxdError('Project names may not contain underscores');
  if (name.includes("'") || name.includes('"')) throw new LxdError('Project names may not contain quotes');
}

/** projectValidateConfig: known keys (user.* free), booleans as shared.IsTrue/IsFalse read them. */
function validateProjectConfig(config: Record<string, string>): void {
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith('user.') || key.startsWith('limits.disk.pool.')) continue;
    if (!PROJECT_KEYS.has(key))
      throw new LxdError(`Invalid project configuration key ${JSON.stringify(key)}`);
    if (BOOL_KEYS.has(key) && value !== '' && !/^(true|false|1|0|yes|no|on|off)$/i.test(value))
      throw new LxdError(
        `Invalid project configuration key ${JSON.stringify(key)} value: Invalid value for a boolean ${JSON.stringify(value)}`,
      );
  }
  const isFalse = (v: string | undefined): boolean => v !== undefined && /^(false|0|no|off)$/i.test(v);
  const isTrue = (v: string | undefined): boolean => v !== undefined && /^(true|1|yes|on)$/i.test(v);
  if (isTrue(config['restricted']) && isFalse(config['features.profiles']))
    throw new LxdError('Projects without their own profiles cannot be restricted');
}

/** projectsPost: default features merged under the request's config, then validated and stored. */
export function createProject(
  database: LxdClusterData,
  name: string,
  description: string,
  config: Record<string, string>,
): void {
  validProjectName(name);
  const merged: Record<string, string> = Object.fromEntries(FEATURES_DEFAULT_ON.map((k) => [k, 'true']));
  Object.assign(merged, config);
  validateProjectConfig(merged);
  if (projectsOf(database).some((p) => p.name === name))
    throw new LxdError(
      `Failed creating project ${JSON.stringify(name)}: Failed adding database record: This "projects" entry already exists`,
    );
  projectsOf(database).push({ name, description, config: merged });
}

/** projectPut (PUT replaces description and config): the default project's features are fixed. */
export function updateProject(
  database: LxdClusterData,
  name: string,
  description: string,
  config: Record<string, string>,
): void {
  const project = requireProject(database, name);
  validateProjectConfig(config);
  if (name === 'default') {
    const changed = FEATURES.some((k) => (project.config[k] ?? '') !== (config[k] ?? ''));
    if (changed) throw new LxdError("You can't change the features of the default project");
  }
  project.description = description;
  project.config = { ...config };
}

/**
 * projectDelete. Nothing can be created inside another project in the simulator (no instances, and lxc
 * --project is not modelled), so a project other than default is always empty. LXD's delete triggers drop
 * the permissions on the project from every group.
 */
export function deleteProject(database: LxdClusterData, name: string): void {
  if (name === 'default') throw new LxdError("The 'default' project cannot be deleted");
  requireProject(database, name);
  database.projects = projectsOf(database).filter((p) => p.name !== name);
  const url = projectUrl(name);
  for (const group of authGroupsOf(database))
    group.permissions = group.permissions.filter((p) => !(p.entityType === 'project' && p.url === url));
}

function projectUrl(name: string): string {
  return `/1.0/projects/${encodeURIComponent(name)}`;
}

/** api.Project; used_by: the project's own default profile (its features.profiles), or default's objects. */
export function projectApi(database: LxdClusterData, project: LxdProject): GoStruct {
  const usedBy: string[] = [];
  if (project.name === 'default') {
    for (const name of Object.keys(database.profiles).sort()) usedBy.push(`/1.0/profiles/${name}`);
    for (const network of database.networks) usedBy.push(`/1.0/networks/${network.name}`);
  } else if (/^(true|1|yes|on)$/i.test(project.config['features.profiles'] ?? '')) {
    usedBy.push(`/1.0/profiles/default?project=${project.name}`);
  }
  return {
    name: project.name,
    description: project.description,
    config: goMap(project.config),
    used_by: usedBy,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Groups and permissions.

export function authGroupsOf(database: LxdClusterData): LxdAuthGroup[] {
  database.authGroups ??= [];
  return database.authGroups;
}

export function identitiesOf(database: LxdClusterData): LxdIdentity[] {
  database.identities ??= [];
  return database.identities;
}

export function requireAuthGroup(database: LxdClusterData, name: string): LxdAuthGroup {
  const group = authGroupsOf(database).find((g) => g.name === name);
  if (!group) throw new LxdError('AuthGroup not found');
  return group;
}

function validateGroupName(name: string): void {
  if (name === '') throw new LxdError('Group name cannot be empty');
  if (name.includes('/')) throw new LxdError('Group name cannot contain a forward slash');
  if (name.includes(':')) throw new LxdError('Group name cannot contain a colon');
}

/** entity.ParseURL for the modelled entity types, then the entity's existence (PopulateEntityReferencesFromURLs). */
function checkPermissions(database: LxdClusterData, permissions: readonly LxdPermission[]): void {
  for (const p of permissions) {
    const context = `permission with entity reference ${JSON.stringify(p.url)} and entitlement ${JSON.stringify(p.entitlement)}`;
    if (!ENTITY_TYPES.includes(p.entityType))
      throw new LxdError(
        `Failed to validate entity type for ${context}: Unknown entity type ${JSON.stringify(p.entityType)}`,
      );
    if (p.entityType !== 'server' && p.entityType !== 'project')
      throw new NotModelledError(
        `permissions on ${p.entityType} entities (only server and project are modelled)`,
      );
    const referenceType =
      p.url === '/1.0' ? 'server' : /^\/1\.0\/projects\/[^/?]+$/.test(p.url) ? 'project' : null;
    if (referenceType === null) throw new NotModelledError(`entity URL ${p.url}`);
    if (referenceType !== p.entityType)
      throw new LxdError(`Failed to parse ${context}: Entity type does not correspond to entity reference`);
    if (!ENTITLEMENTS[referenceType].includes(p.entitlement))
      throw new LxdError(
        `Failed to validate group ${context}: Entitlement ${JSON.stringify(p.entitlement)} not valid for entity type ${JSON.stringify(referenceType)}`,
      );
  }
  for (const p of permissions) {
    if (p.entityType !== 'project') continue;
    const name = decodeURIComponent(p.url.slice('/1.0/projects/'.length));
    if (!projectsOf(database).some((project) => project.name === name))
      throw new LxdError(`Failed to find entity ID for URL ${JSON.stringify(p.url)}`);
  }
}

export function createAuthGroup(
  database: LxdClusterData,
  name: string,
  description: string,
  permissions: LxdPermission[] = [],
): void {
  validateGroupName(name);
  checkPermissions(database, permissions);
  if (authGroupsOf(database).some((g) => g.name === name))
    throw new LxdError('This "auths_groups" entry already exists');
  authGroupsOf(database).push({ name, description, permissions: [...permissions] });
}

/** updateAuthGroup (PUT): description and the whole permission list. */
export function updateAuthGroup(
  database: LxdClusterData,
  name: string,
  description: string,
  permissions: LxdPermission[],
): void {
  const group = requireAuthGroup(database, name);
  checkPermissions(database, permissions);
  group.description = description;
  // LXD stores permissions as rows keyed by (entitlement, entity): a duplicate in the request is one row.
  group.permissions = permissions.filter((p, i) => permissions.findIndex((q) => samePermission(p, q)) === i);
}

export function samePermission(a: LxdPermission, b: LxdPermission): boolean {
  return a.entityType === b.entityType && a.url === b.url && a.entitlement === b.entitlement;
}

/** deleteAuthGroup: the identities' memberships go with it (foreign keys ON DELETE CASCADE). */
export function deleteAuthGroup(database: LxdClusterData, name: string): void {
  requireAuthGroup(database, name);
  database.authGroups = authGroupsOf(database).filter((g) => g.name !== name);
  for (const identity of identitiesOf(database)) identity.groups = identity.groups.filter((g) => g !== name);
}

/** api.AuthGroup. */
export function authGroupApi(database: LxdClusterData, group: LxdAuthGroup): GoStruct {
  const identities = new Map<string, string[]>();
  for (const identity of identitiesOf(database)) {
    if (!identity.groups.includes(group.name)) continue;
    identities.set(identity.authMethod, [
      ...(identities.get(identity.authMethod) ?? []),
      identity.identifier,
    ]);
  }
  return {
    name: group.name,
    description: group.description,
    permissions: group.permissions.map((p) => ({
      entity_type: p.entityType,
      url: p.url,
      entitlement: p.entitlement,
    })),
    identities: identities,
    identity_provider_groups: [],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Identities.

/** GetIdentityByNameOrIdentifier, masked to a plain 404 by addIdentityDetailsToContext. */
export function requireIdentity(database: LxdClusterData, authMethod: string, nameOrId: string): LxdIdentity {
  const matches = identitiesOf(database).filter(
    (i) => i.authMethod === authMethod && (i.identifier === nameOrId || i.name === nameOrId),
  );
  const byId = matches.find((i) => i.identifier === nameOrId);
  if (byId) return byId;
  if (matches.length === 0) throw new LxdError('Not Found');
  if (matches.length > 1)
    throw new LxdError(`More than one identity found with name ${JSON.stringify(nameOrId)}`);
  return matches[0] as LxdIdentity;
}

/** updateIdentity (PUT): only fine-grained identities take groups, and every group must exist. */
export function setIdentityGroups(database: LxdClusterData, identity: LxdIdentity, groups: string[]): void {
  if (!FINE_GRAINED_TYPES.includes(identity.type))
    throw new LxdError(`Identities of type ${JSON.stringify(identity.type)} cannot be modified via this API`);
  const missing = groups.filter((g) => !authGroupsOf(database).some((group) => group.name === g));
  if (missing.length > 0)
    throw new LxdError(`One or more groups were not found: ${missing.map((g) => `"${g}"`).join(', ')}`);
  identity.groups = [...new Set(groups)];
}

/** api.Identity. */
export function identityApi(identity: LxdIdentity): GoStruct {
  return {
    authentication_method: identity.authMethod,
    type: identity.type,
    id: identity.identifier,
    name: identity.name,
    groups: [...identity.groups],
    tls_certificate: '',
  };
}

/**
 * What an OIDC user's first login leaves (lxd/auth/oidc): an identity named after the user, identified by
 * the email address, in no group, in the database of `host`'s LXD (its cluster's). LXD 5.21 has no command
 * that creates one; tests call this as the user's login.
 */
export function oidcLogin(world: World, host: string, email: string, name: string): void {
  const machine = world.state.machines[host];
  if (!machine) throw new Error(`no host ${host}`);
  const identities = identitiesOf(lxdDatabase(world, machine));
  if (identities.some((i) => i.authMethod === 'oidc' && i.identifier === email)) return;
  identities.push({ authMethod: 'oidc', type: IDENTITY_TYPE_OIDC, identifier: email, name, groups: [] });
}
