// One round trip per host: a single sh script runs every fact command side by side (framed.ts), each
// command's stdout framed between markers that carry a one-time nonce and its exit status. Optional facts
// also frame their stderr (a service's failure says its state) and run only where their snap is installed.
// Pure: builds the script and splits its output; the workflow runs it.
import { framedScript, splitFramed, TIMED_OUT_EXIT, timedOutMessage, type FramedCommand } from './framed.js';
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

/** What the script runs; tests hand in stand-ins for the commands and the snap check. */
export interface GatherCommands {
  facts: Readonly<Record<FactName, string>>;
  snapCheck: string;
}

export function gatherScript(
  nonce: string,
  { facts, snapCheck }: GatherCommands = { facts: FACT_COMMANDS, snapCheck: SNAP_CHECK },
): GatherScript {
  // Each snap is looked up once, all at once: `mc_has_lxd` is 1 when the lxd snap is installed.
  const flag = (snap: string): string => `mc_has_${snap.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const snaps = [...new Set(Object.values(FACT_SNAPS))];
  // `wait PID` gives that check's exit status: no file to read back.
  const prelude = [
    `mc_snap() { ${snapCheck}; }`,
    ...snaps.map((snap, i) => `mc_snap ${snap} & mc_p${i}=$!`),
    ...snaps.map((snap, i) => `if wait "$mc_p${i}"; then ${flag(snap)}=1; else ${flag(snap)}=0; fi`),
  ];
  const commands = (Object.entries(facts) as [FactName, string][]).map(([name, command]): FramedCommand => {
    // Required facts: stderr stays apart from the frames so it cannot reach a parser.
    if (!OPTIONAL.has(name)) return { name, command, keepStderr: false };
    const snap = FACT_SNAPS[name as OptionalFactName];
    return snap === undefined
      ? { name, command }
      : { name, command, guard: { variable: flag(snap), otherwise: `the ${snap} snap is not installed` } };
  });
  return { script: framedScript(commands, nonce, { prelude }), nonce };
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
      else if (section.exitCode === TIMED_OUT_EXIT) problems.push(`\`${command}\` ${timedOutMessage()}`);
      else problems.push(`\`${command}\` failed with exit status ${section.exitCode}`);
    } else if (!SERVICE.has(name)) {
      outputs[name] = section.stdout;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, outputs: { ...outputs, ...outcomes } as FactOutputs, failedOptional };
}
