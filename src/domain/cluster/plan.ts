// The deploy plan: from the design, each host's facts and the running cluster's state, the ordered steps
// MicroCloud's setupCluster would take (§1.3), each marked done when its effect is already there. Pure: the
// same inputs give the same plan; a converged cluster gives a plan with nothing to do.

import type { HostFacts } from '../facts/index.js';
import type { Action, MemberConfigEntry } from './actions.js';
import { listWords } from './issues.js';
import { planLxdConfiguration } from './lxd-config.js';
import { buildPreseed } from './preseed.js';
import type { ClusterState } from './state.js';
import {
  LXD_HTTPS_ANY,
  SERVICE_LABELS,
  SERVICE_PORT,
  SNAP_INSTALL_ORDER,
  snapsOf,
  urlHost,
  type ClusterDesign,
  type DiskChoice,
  type MemberDesign,
  type OptionalService,
  type SnapName,
} from './types.js';

export type PhaseId = 'install' | 'form' | 'bootstrap' | 'join' | 'storage' | 'configure';

export interface PlanStep {
  /** Unique in the plan, stable across runs: `join:micro2:microceph`. */
  id: string;
  /** The host the step runs on. */
  host: string;
  action: Action;
  done: boolean;
}

/** Lanes run side by side; the steps of a lane one after another. */
export interface PlanStage {
  lanes: PlanStep[][];
}

export interface PlanPhase {
  id: PhaseId;
  title: string;
  stages: PlanStage[];
}

/** A setting MicroCloud makes that this LXD cannot take, and why: the plan shows it, deploy skips it. */
export interface SkippedSetting {
  setting: string;
  reason: string;
}

export interface Plan {
  design: ClusterDesign;
  /**
   * Who forms the cluster in this run: MicroCloud (its preseed), or mc itself (the direct engine; also for a
   * cluster the direct engine formed earlier, which MicroCloud cannot adopt: see notes).
   */
  engine: 'microcloud' | 'direct';
  /** What the plan found and why it does what it does, for the user (a cluster MicroCloud cannot adopt). */
  notes: string[];
  /** What the deploy leaves out because the LXD cannot do it. */
  skipped: SkippedSetting[];
  /** Per service, the member tokens are issued on and that bootstraps it when no host has it yet. */
  anchors: Record<SnapName, string>;
  phases: PlanPhase[];
}

export interface PlanInput {
  design: ClusterDesign;
  facts: ReadonlyMap<string, HostFacts>;
  /** The cluster as read on its anchors; EMPTY_CLUSTER_STATE before anything is bootstrapped. */
  state: ClusterState;
}

/** The enabled services' snaps in install order. */
export function enabledSnaps(design: ClusterDesign): SnapName[] {
  const enabled = snapsOf(design.services);
  return SNAP_INSTALL_ORDER.filter((snap) => enabled.includes(snap));
}

/** Whether `host` is a member of `service`'s cluster, by its own account. */
export function isMember(facts: HostFacts | undefined, service: SnapName, host: string): boolean {
  if (facts === undefined) return false;
  if (service === 'lxd') {
    const lxd = facts.services.lxd;
    return lxd.state === 'clustered' && lxd.members.some((m) => m.name === host);
  }
  const state = facts.services[service];
  return state.state === 'bootstrapped' && state.members.some((m) => m.name === host);
}

/** Hosts in bootstrap order: the initiator first, then the others in inventory order. */
export function orderedMembers(design: ClusterDesign): MemberDesign[] {
  const first = design.members.filter((m) => m.host === design.initiator);
  return [...first, ...design.members.filter((m) => m.host !== design.initiator)];
}

function anchorsOf(design: ClusterDesign, facts: ReadonlyMap<string, HostFacts>): Record<SnapName, string> {
  const ordered = orderedMembers(design);
  const anchor = (service: SnapName): string =>
    ordered.find((m) => isMember(facts.get(m.host), service, m.host))?.host ?? design.initiator;
  return {
    lxd: anchor('lxd'),
    microceph: anchor('microceph'),
    microovn: anchor('microovn'),
    microcloud: anchor('microcloud'),
  };
}

function installPhase(design: ClusterDesign, facts: ReadonlyMap<string, HostFacts>): PlanPhase {
  const lanes = design.members.map((member) => {
    const hostFacts = facts.get(member.host);
    const lane: PlanStep[] = [];
    const toHold: SnapName[] = [];
    for (const snap of enabledSnaps(design)) {
      const channel = design.channels[snap];
      // The LXD that answers may not be the snap's (a deb shadowing it): checked once it is ready.
      const floor = snap === 'lxd' ? { minVersion: design.lxdMinVersion } : {};
      const installed = hostFacts?.snaps.find((s) => s.name === snap);
      if (installed === undefined) {
        lane.push({
          id: `install:${member.host}:${snap}`,
          host: member.host,
          action: { kind: 'snap-install', snap, channel, ...floor },
          done: false,
        });
      } else if (installed.tracking !== channel || !installed.inCohort) {
        lane.push({
          id: `install:${member.host}:${snap}`,
          host: member.host,
          action: { kind: 'snap-refresh', snap, channel, ...floor },
          done: false,
        });
      } else {
        lane.push({
          id: `install:${member.host}:${snap}`,
          host: member.host,
          action: { kind: 'snap-install', snap, channel, ...floor },
          done: true,
        });
      }
      if (installed?.held !== true) toHold.push(snap);
    }
    lane.push({
      id: `install:${member.host}:hold`,
      host: member.host,
      action: { kind: 'snap-hold', snaps: toHold.length > 0 ? toHold : enabledSnaps(design) },
      done: toHold.length === 0,
    });
    return lane;
  });
  return { id: 'install', title: 'Install and hold the snaps', stages: [{ lanes }] };
}

function bootstrapPhase(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  anchors: Record<SnapName, string>,
): PlanPhase {
  const member = (host: string): MemberDesign => design.members.find((m) => m.host === host) as MemberDesign;
  const noneHas = (service: SnapName): boolean =>
    !design.members.some((m) => isMember(facts.get(m.host), service, m.host));
  const step = (service: SnapName, action: Action): PlanStep => ({
    id: `bootstrap:${anchors[service]}:${service}`,
    host: anchors[service],
    action,
    done: !noneHas(service),
  });
  const stages: PlanStage[] = [];
  if (design.services.microcloud) {
    const at = member(anchors.microcloud);
    stages.push({
      lanes: [
        [
          step('microcloud', {
            kind: 'microcluster-bootstrap',
            service: 'microcloud',
            address: `${urlHost(at)}:${SERVICE_PORT.microcloud}`,
            config: {},
          }),
        ],
      ],
    });
  }
  const middle: PlanStep[][] = [];
  if (design.services.microceph && design.ceph !== null) {
    const at = member(anchors.microceph);
    middle.push([
      step('microceph', {
        kind: 'microceph-bootstrap',
        address: at.address.value,
        publicNetwork: design.ceph.publicNetwork,
        clusterNetwork: design.ceph.internalNetwork,
      }),
    ]);
  }
  if (design.services.microovn) {
    const at = member(anchors.microovn);
    middle.push([
      step('microovn', {
        kind: 'microcluster-bootstrap',
        service: 'microovn',
        address: `${urlHost(at)}:${SERVICE_PORT.microovn}`,
        config: at.underlayIp === null ? {} : { 'ovn-encap-ip': at.underlayIp },
      }),
    ]);
  }
  if (middle.length > 0) stages.push({ lanes: middle });
  const lxdAt = member(anchors.lxd);
  stages.push({
    lanes: [
      [
        step('lxd', {
          kind: 'lxd-bootstrap',
          address: `${urlHost(lxdAt)}:${SERVICE_PORT.lxd}`,
          config: {
            'core.https_address': LXD_HTTPS_ANY,
            'cluster.https_address': `${urlHost(lxdAt)}:${SERVICE_PORT.lxd}`,
          },
        }),
      ],
    ],
  });
  return { id: 'bootstrap', title: `Bootstrap the first member`, stages };
}

/** §3.7: what a member joining an LXD cluster that already has MicroCloud's pools and networks must bring. */
export function joinMemberConfig(member: MemberDesign, state: ClusterState): MemberConfigEntry[] {
  const entries: MemberConfigEntry[] = [];
  const lxd = state.lxd;
  if (lxd === null) return entries;
  const created = (name: string): boolean => lxd.pools.some((p) => p.name === name && p.status === 'Created');
  if (created('local') && member.localDisk !== null) {
    entries.push({
      entity: 'storage-pool',
      name: 'local',
      key: 'source',
      value: member.localDisk.value.path,
    });
    if (member.localDisk.value.wipe)
      entries.push({ entity: 'storage-pool', name: 'local', key: 'source.wipe', value: 'true' });
  }
  if (
    lxd.networks.some((n) => n.name === 'UPLINK' && n.status === 'Created') &&
    member.uplinkInterface !== null
  ) {
    entries.push({ entity: 'network', name: 'UPLINK', key: 'parent', value: member.uplinkInterface.value });
  }
  if (created('remote-fs') && !lxd.apiExtensions.includes('storage_remote_drop_source')) {
    entries.push({ entity: 'storage-pool', name: 'remote-fs', key: 'source', value: 'lxd_cephfs' });
  }
  return entries;
}

function joinPhase(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  state: ClusterState,
  anchors: Record<SnapName, string>,
): PlanPhase {
  const stages: PlanStage[] = [];
  for (const member of orderedMembers(design)) {
    const host = member.host;
    const own = facts.get(host);
    const joining = (service: SnapName): boolean =>
      anchors[service] !== host && !isMember(own, service, host);
    const joinStep = (service: OptionalService): PlanStep => ({
      id: `join:${host}:${service}`,
      host,
      action: {
        kind: 'microcluster-join',
        service,
        anchor: anchors[service],
        address: `${urlHost(member)}:${SERVICE_PORT[service]}`,
        config:
          service === 'microovn' && member.underlayIp !== null ? { 'ovn-encap-ip': member.underlayIp } : {},
      },
      done: !joining(service),
    });
    const middle: PlanStep[][] = [];
    if (design.services.microceph) {
      const lane = [joinStep('microceph')];
      // A joiner adds its own OSDs right after its MicroCeph join, inside the same request (§1.3 2c).
      if (host !== anchors.microceph) {
        for (const disk of member.cephDisks) {
          lane.push({
            id: `join:${host}:osd:${disk.value.path}`,
            host,
            action: { kind: 'ceph-disk-add', disk: disk.value },
            done: osdDone(state, host, disk.value),
          });
        }
      }
      middle.push(lane);
    }
    if (design.services.microovn) middle.push([joinStep('microovn')]);
    if (middle.length > 0) stages.push({ lanes: middle });
    // A join that never finished is cleared first; only an LXD that holds nothing gets here (validate).
    const unfinished = own?.unfinishedLxdJoin;
    const clear: PlanStep[] =
      unfinished === undefined || unfinished.contents === null || unfinished.contents.holds.length > 0
        ? []
        : [
            {
              id: `join:${host}:lxd-clear`,
              host,
              action: {
                kind: 'lxd-join-clear',
                viewer: unfinished.viewer,
                memberId: unfinished.memberId,
                // No row nor marker names the address an unnamed LXD joined with: the join's own.
                address:
                  unfinished.address !== '' ? unfinished.address : `${urlHost(member)}:${SERVICE_PORT.lxd}`,
                lxdDir: unfinished.contents.dir,
                ...(unfinished.failure.state === 'no member name' ? { unnamed: true as const } : {}),
              },
              done: false,
            },
          ];
    stages.push({
      lanes: [
        [
          ...clear,
          {
            id: `join:${host}:lxd`,
            host,
            action: {
              kind: 'lxd-join',
              anchor: anchors.lxd,
              address: `${urlHost(member)}:${SERVICE_PORT.lxd}`,
              memberConfig: joinMemberConfig(member, state),
            },
            done: !joining('lxd'),
          },
        ],
      ],
    });
  }
  // Stages whose every step is done are dropped so that `mc plan` and the live tree stay short.
  return {
    id: 'join',
    title: 'Join the other members, one at a time',
    stages: stages.filter((s) => s.lanes.some((l) => l.some((st) => !st.done))),
  };
}

/**
 * An OSD is there when the cluster lists one on that member with the disk's path, or when the facts showed
 * the disk already in use by this cluster (`existing`: MicroCeph may list it under another of its names).
 */
function osdDone(state: ClusterState, host: string, disk: DiskChoice): boolean {
  if (disk.existing === true) return true;
  return state.ceph?.osds.some((o) => o.location === host && o.path === disk.path) ?? false;
}

function storagePhase(
  design: ClusterDesign,
  state: ClusterState,
  anchors: Record<SnapName, string>,
): PlanPhase {
  if (!design.services.microceph || design.ceph === null)
    return { id: 'storage', title: 'Ceph disks and replication', stages: [] };
  const anchor = design.members.find((m) => m.host === anchors.microceph) as MemberDesign;
  const own = anchor.cephDisks.map((disk): PlanStep => ({
    id: `storage:${anchor.host}:osd:${disk.value.path}`,
    host: anchor.host,
    action: { kind: 'ceph-disk-add', disk: disk.value },
    done: osdDone(state, anchor.host, disk.value),
  }));
  const osds = design.members.reduce((n, m) => n + m.cephDisks.length, 0);
  const stages: PlanStage[] = [];
  if (own.length > 0) stages.push({ lanes: [own] });
  if (osds > 0) {
    const size = Math.min(osds, 3);
    const remoteCreated =
      state.lxd?.pools.some((p) => p.name === 'remote' && p.status === 'Created') ?? false;
    const allSized = (state.ceph?.pools ?? []).every((p) => p.size >= size);
    stages.push({
      lanes: [
        [
          {
            id: `storage:${anchor.host}:replication`,
            host: anchor.host,
            action: { kind: 'ceph-replication', osds },
            done: remoteCreated && allSized,
          },
        ],
      ],
    });
  }
  return { id: 'storage', title: 'Ceph disks and replication', stages };
}

export interface ConfigureContext {
  /** LXD's API extensions; until LXD is installed, those of the channel's release are assumed. */
  apiExtensions: readonly string[];
  /** `user.microcloud`: the installed MicroCloud version, when MicroCloud is deployed and installed. */
  microcloudVersion: string | null;
}

/**
 * A member of MicroCloud by its own account. One its own daemon lists as PENDING is still settling: it is in
 * (MicroCloud would refuse to add it: "MicroCloud is already initialized and can only be the initiator"), and
 * verify reports it until it has settled. A record left PENDING by a join that died is on the others only; its
 * host's own MicroCloud is not set up, and validation refuses it (checkStuckPendingMembers).
 */
function inMicrocloud(facts: HostFacts | undefined, host: string): boolean {
  const cloud = facts?.services.microcloud;
  return cloud?.state === 'bootstrapped' && cloud.members.some((m) => m.name === host);
}

interface FormPlan {
  phase: PlanPhase;
  /** MicroCloud cannot take the cluster over: mc goes on with the direct engine. */
  adopted: boolean;
  notes: string[];
}

const FORM_TITLE = 'Form the cluster with MicroCloud (microcloud preseed)';

/**
 * The MicroCloud engine's preseed run (§2.2): bootstrap mode when no host is in MicroCloud yet; add mode for
 * the hosts that are not, through the first member that is (a grown inventory, or a formation that stopped
 * before every joiner arrived). A host already in the LXD cluster but not in MicroCloud (what the direct
 * engine leaves) cannot be taken in by MicroCloud (§1.1 item 6): nothing is run, the notes say why.
 */
function formPhase(design: ClusterDesign, facts: ReadonlyMap<string, HostFacts>): FormPlan {
  const ordered = orderedMembers(design);
  const formed = ordered.filter((m) => inMicrocloud(facts.get(m.host), m.host));
  const newcomers = ordered.filter((m) => !formed.includes(m));
  const step = (
    host: string,
    role: 'initiator' | 'joiner',
    preseed: ReturnType<typeof buildPreseed>,
    done: boolean,
  ): PlanStep => ({
    id: `form:${host}`,
    host,
    action: { kind: 'microcloud-preseed', role, preseed },
    done,
  });
  if (newcomers.length === 0) {
    const preseed = buildPreseed(design, facts, { mode: 'bootstrap' });
    const lanes = ordered.map((m) => [
      step(m.host, m.host === design.initiator ? 'initiator' : 'joiner', preseed, true),
    ]);
    return { phase: { id: 'form', title: FORM_TITLE, stages: [{ lanes }] }, adopted: false, notes: [] };
  }
  // Validation refused services set up outside MicroCloud by anyone but mc (checkSetUpOutsideMicroCloud).
  const services = snapsOf(design.services).filter((s) => s !== 'microcloud');
  const inClusters = (m: MemberDesign): SnapName[] =>
    services.filter((s) => isMember(facts.get(m.host), s, m.host));
  const clustered = newcomers.filter((m) => inClusters(m).length > 0);
  if (clustered.length > 0) {
    const names = clustered.map((m) => m.host).join(', ');
    const cloud = formed.length === 0 ? 'no host' : formed.map((m) => m.host).join(', ');
    const labels = services.filter((s) => clustered.some((m) => inClusters(m).includes(s)));
    const clusters = `${listWords(labels.map((s) => SERVICE_LABELS[s]))} cluster${labels.length === 1 ? '' : 's'}`;
    return {
      phase: { id: 'form', title: FORM_TITLE, stages: [] },
      adopted: true,
      notes: [
        `${names}: in the ${clusters} but not in MicroCloud (MicroCloud runs on ${cloud}): this cluster was formed by mc's direct engine, and MicroCloud cannot take in members that are already clustered. mc changes nothing about that and keeps the cluster converged with the direct engine; nothing is removed or wiped.`,
      ],
    };
  }
  if (formed.length === 0) {
    const preseed = buildPreseed(design, facts, { mode: 'bootstrap' });
    const lanes = ordered.map((m) => [
      step(m.host, m.host === design.initiator ? 'initiator' : 'joiner', preseed, false),
    ]);
    return { phase: { id: 'form', title: FORM_TITLE, stages: [{ lanes }] }, adopted: false, notes: [] };
  }
  const via = (formed[0] as MemberDesign).host;
  const preseed = buildPreseed(design, facts, {
    mode: 'add',
    newHosts: newcomers.map((m) => m.host),
    via,
  });
  const lanes = [
    [step(via, 'initiator', preseed, false)],
    ...newcomers.map((m) => [step(m.host, 'joiner', preseed, false)]),
  ];
  return { phase: { id: 'form', title: FORM_TITLE, stages: [{ lanes }] }, adopted: false, notes: [] };
}

/**
 * An add-mode preseed runs on a member whose MicroCloud is set up, and MicroCloud 2.1 refuses it there unless
 * every installed service is initialised too ("MicroCeph is not initialized", cmd/microcloud/ask.go
 * checkInitialized). A bootstrap preseed that failed after MicroCloud bootstrapped its own daemon but before
 * the other services leaves exactly that, and MicroCloud reverts neither, nor will it bootstrap again
 * ("MicroCloud is already initialized"). So mc bootstraps what that member lacks itself first, as the direct
 * engine would; MicroCloud then joins the others to every service, and the direct phases finish the rest.
 */
function servicesMissingForAddMode(
  design: ClusterDesign,
  facts: ReadonlyMap<string, HostFacts>,
  anchors: Record<SnapName, string>,
  form: PlanPhase,
): { phase: PlanPhase | null; notes: string[] } {
  const via = form.stages
    .flatMap((s) => s.lanes.flat())
    .find((st) => st.action.kind === 'microcloud-preseed' && st.action.role === 'initiator' && !st.done);
  if (via === undefined || via.action.kind !== 'microcloud-preseed' || via.action.preseed.mode !== 'add')
    return { phase: null, notes: [] };
  const boot = bootstrapPhase(design, facts, anchors);
  const stages = boot.stages
    .map((stage) => ({
      lanes: stage.lanes.filter((lane) => lane.some((st) => !st.done && st.host === via.host)),
    }))
    .filter((stage) => stage.lanes.length > 0);
  if (stages.length === 0) return { phase: null, notes: [] };
  const missing = stages
    .flatMap((s) => s.lanes.flat())
    .map((st) => SERVICE_LABELS[(st.id.split(':')[2] ?? 'lxd') as SnapName])
    .join(', ');
  return {
    phase: { ...boot, title: `Bootstrap on ${via.host} what MicroCloud did not`, stages },
    notes: [
      `${via.host}: MicroCloud is set up but not ${missing} (an earlier preseed stopped between them, and MicroCloud undoes neither); MicroCloud adds members only through a host whose services are all initialised, so mc bootstraps ${missing} on ${via.host} itself first, then MicroCloud adds the other hosts (add mode); nothing is removed or wiped.`,
    ],
  };
}

export function planDeploy(input: PlanInput, configure: ConfigureContext): Plan {
  const { design, facts, state } = input;
  const anchors = anchorsOf(design, facts);
  const install = installPhase(design, facts);
  const form = design.engine.kind === 'microcloud' ? formPhase(design, facts) : null;
  const { steps: configureSteps, skipped } = planLxdConfiguration(design, state, configure, anchors.lxd);
  if (
    form !== null &&
    !form.adopted &&
    form.phase.stages.some((s) => s.lanes.some((l) => l.some((st) => !st.done)))
  ) {
    // MicroCloud does what the direct phases would (§1.3); what it leaves undone is planned once it ran.
    const missing = servicesMissingForAddMode(design, facts, anchors, form.phase);
    return {
      design,
      engine: 'microcloud',
      notes: [...form.notes, ...missing.notes],
      skipped,
      anchors,
      phases: [install, ...(missing.phase === null ? [] : [missing.phase]), form.phase],
    };
  }
  return {
    design,
    engine: form === null || form.adopted ? 'direct' : 'microcloud',
    notes: form?.notes ?? [],
    skipped,
    anchors,
    phases: [
      install,
      ...(form === null || form.adopted ? [] : [form.phase]),
      bootstrapPhase(design, facts, anchors),
      joinPhase(design, facts, state, anchors),
      storagePhase(design, state, anchors),
      {
        id: 'configure',
        title: 'Configure LXD',
        stages: configureSteps.length > 0 ? [{ lanes: [configureSteps] }] : [],
      },
    ],
  };
}

export function allSteps(plan: Plan): PlanStep[] {
  return plan.phases.flatMap((p) => p.stages.flatMap((s) => s.lanes.flat()));
}

export function pendingSteps(plan: Plan): PlanStep[] {
  return allSteps(plan).filter((s) => !s.done);
}

/**
 * The steps a phase had pending that a plan read again no longer has: the cluster got there meanwhile (an
 * earlier run's command that finished after its connection was cut).
 */
export function stepsDoneMeanwhile(before: PlanPhase, after: PlanPhase | undefined): PlanStep[] {
  const still = new Set(pendingInPhase(after).map((step) => step.id));
  return pendingInPhase(before).filter((step) => !still.has(step.id));
}

/** A phase's steps still to do. */
export function pendingInPhase(phase: PlanPhase | undefined): PlanStep[] {
  return (phase?.stages ?? []).flatMap((stage) => stage.lanes.flat()).filter((step) => !step.done);
}
