// One round trip per host: a single sh script runs every fact command, framing each command's stdout
// between markers that carry a one-time nonce and the command's exit status. Pure: builds the script and
// splits its output; the workflow runs it.
import { FACT_COMMANDS } from './facts/index.js';
import type { FactName, FactOutputs } from './facts/index.js';

/** Facts a host without them cannot be probed for; LXD's view exists only once LXD is installed. */
const OPTIONAL_FACTS: ReadonlySet<FactName> = new Set(['lxdResources']);

export interface GatherScript {
  script: string;
  nonce: string;
}

export function gatherScript(nonce: string): GatherScript {
  const marker = `@@MC-${nonce}`;
  // No command may read the channel's stdin; stderr stays apart so it cannot reach a parser.
  const lines = ['exec </dev/null'];
  for (const [name, command] of Object.entries(FACT_COMMANDS)) {
    // A leading newline keeps the marker on a line of its own when output lacks a final newline.
    lines.push(`printf '%s BEGIN ${name}\\n' '${marker}'`);
    if (OPTIONAL_FACTS.has(name as FactName)) {
      lines.push(`if command -v lxc >/dev/null 2>&1; then ${command}; else false; fi; rc=$?`);
    } else {
      lines.push(`${command}; rc=$?`);
    }
    lines.push(`printf '\\n%s END ${name} %s\\n' '${marker}' "$rc"`);
  }
  return { script: lines.join('\n'), nonce };
}

export interface GatheredFact {
  stdout: string;
  exitCode: number;
}

export type GatherResult =
  { ok: true; outputs: FactOutputs; failedOptional: FactName[] } | { ok: false; problems: string[] };

/** Splits the script's stdout into each command's output; a required command that failed is a problem. */
export function splitGathered(stdout: string, nonce: string): GatherResult {
  const marker = `@@MC-${nonce}`;
  const sections = new Map<string, GatheredFact>();
  const pattern = new RegExp(`^${marker} BEGIN (\\w+)\\n([\\s\\S]*?)\\n${marker} END \\1 (\\d+)$`, 'gm');
  for (const match of stdout.matchAll(pattern)) {
    sections.set(match[1] ?? '', { stdout: match[2] ?? '', exitCode: Number(match[3]) });
  }
  const problems: string[] = [];
  const outputs: Partial<Record<FactName, string>> = {};
  const failedOptional: FactName[] = [];
  for (const [name, command] of Object.entries(FACT_COMMANDS) as [FactName, string][]) {
    const section = sections.get(name);
    if (section === undefined) {
      problems.push(`\`${command}\` did not run to the end`);
    } else if (section.exitCode !== 0) {
      if (OPTIONAL_FACTS.has(name)) failedOptional.push(name);
      else if (section.exitCode === 127 && name === 'snaps') {
        problems.push(
          "snapd is not installed (no `snap` command): MicroCloud's services are snaps; install snapd",
        );
      } else if (section.exitCode === 127) problems.push(`\`${command}\`: command not found on the host`);
      else problems.push(`\`${command}\` failed with exit status ${section.exitCode}`);
    } else {
      outputs[name] = section.stdout;
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, outputs: outputs as FactOutputs, failedOptional };
}
