// One round trip per host: a single sh script runs every fact command, framing each command's stdout
// between markers that carry a one-time nonce and the command's exit status. Optional facts also frame their
// stderr (a service's failure says its state) and run only where their snap is installed. Pure: builds the
// script and splits its output; the workflow runs it.
import { splitFramed } from './framed.js';
import { FACT_COMMANDS, FACT_SNAPS, OPTIONAL_FACTS, SERVICE_FACTS } from './facts/index.js';
import type {
  CommandOutcome,
  FactName,
  FactOutputs,
  OptionalFactName,
  ServiceFactName,
} from './facts/index.js';

const OPTIONAL: ReadonlySet<FactName> = new Set<FactName>(OPTIONAL_FACTS);
const SERVICE: ReadonlySet<FactName> = new Set<FactName>(SERVICE_FACTS);

/** The check an optional fact's snap must pass: installed as a snap, whatever else is on the PATH. */
export const SNAP_CHECK = 'snap list "$1" >/dev/null 2>&1';

export interface GatherScript {
  script: string;
  nonce: string;
}

export function gatherScript(nonce: string): GatherScript {
  const marker = `@@MC-${nonce}`;
  // No command may read the channel's stdin; stderr stays apart so it cannot reach a parser. File descriptor
  // 3 is the script's stdout, so that an optional command's stdout goes there while its stderr is captured.
  const lines = ['exec </dev/null', 'exec 3>&1', `mc_snap() { ${SNAP_CHECK}; }`];
  // Each snap is looked up once: `mc_has_lxd` is 1 when the lxd snap is installed.
  const flag = (snap: string): string => `mc_has_${snap.replace(/[^A-Za-z0-9_]/g, '_')}`;
  for (const snap of new Set(Object.values(FACT_SNAPS))) {
    lines.push(`if mc_snap ${snap}; then ${flag(snap)}=1; else ${flag(snap)}=0; fi`);
  }
  for (const [name, command] of Object.entries(FACT_COMMANDS) as [FactName, string][]) {
    // A leading newline keeps the marker on a line of its own when output lacks a final newline.
    lines.push(`printf '%s BEGIN ${name}\\n' '${marker}'`);
    if (OPTIONAL.has(name)) {
      const run = `err=$( { ${command}; } 2>&1 1>&3 3>&-); rc=$?`;
      const snap = FACT_SNAPS[name as OptionalFactName];
      lines.push(
        snap === undefined
          ? run
          : `if [ "$${flag(snap)}" = 1 ]; then ${run}; else err='the ${snap} snap is not installed'; rc=127; fi`,
      );
    } else {
      lines.push(`${command}; rc=$?`);
    }
    lines.push(`printf '\\n%s END ${name} %s\\n' '${marker}' "$rc"`);
    if (OPTIONAL.has(name)) {
      lines.push(`printf '%s STDERR ${name}\\n%s\\n%s END-STDERR ${name}\\n' '${marker}' "$err" '${marker}'`);
    }
  }
  return { script: lines.join('\n'), nonce };
}

export type GatherResult =
  { ok: true; outputs: FactOutputs; failedOptional: FactName[] } | { ok: false; problems: string[] };

/**
 * Splits the script's stdout into each command's output; a required command that failed is a problem. Service
 * facts are handed on whatever their exit status (their failure is their state); the other optional facts
 * only when they succeeded.
 */
export function splitGathered(stdout: string, nonce: string): GatherResult {
  // The same framing as framedScript: one splitter for both.
  const sections = splitFramed(stdout, nonce);
  const problems: string[] = [];
  const outputs: Partial<Record<FactName, string>> = {};
  const outcomes: Partial<Record<ServiceFactName, CommandOutcome>> = {};
  const failedOptional: FactName[] = [];
  for (const [name, command] of Object.entries(FACT_COMMANDS) as [FactName, string][]) {
    const section = sections.get(name);
    if (section === undefined) {
      problems.push(`\`${command}\` did not run to the end`);
      continue;
    }
    if (SERVICE.has(name)) outcomes[name as ServiceFactName] = section;
    if (section.exitCode !== 0) {
      if (OPTIONAL.has(name)) failedOptional.push(name);
      else if (section.exitCode === 127 && name === 'snaps') {
        problems.push(
          "snapd is not installed (no `snap` command): MicroCloud's services are snaps; install snapd",
        );
      } else if (section.exitCode === 127) problems.push(`\`${command}\`: command not found on the host`);
      else problems.push(`\`${command}\` failed with exit status ${section.exitCode}`);
    } else if (!SERVICE.has(name)) {
      outputs[name] = section.stdout;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, outputs: { ...outputs, ...outcomes } as FactOutputs, failedOptional };
}
