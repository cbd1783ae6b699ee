// Variables: which names a play can see, Ansible's precedence for the sources mc reads, and the check that
// refuses a template naming a variable nothing defines, before any host is touched.
import { closestMatch } from '../inventory/issues.js';
import type { InventoryIssue } from '../inventory/types.js';
import { templateVariables } from './template.js';
import type { Play } from './types.js';

/** Names Ansible gives every task ("magic variables") that mc provides too. */
export const MAGIC_VARIABLES = [
  'hostvars',
  'groups',
  'group_names',
  'inventory_hostname',
  'inventory_hostname_short',
  'ansible_check_mode',
  'ansible_diff_mode',
  'ansible_play_hosts',
  'ansible_play_hosts_all',
  'ansible_play_batch',
  'play_hosts',
  'ansible_play_name',
  'playbook_dir',
  'inventory_dir',
  'inventory_file',
  'omit',
  'ansible_facts',
  'mc_facts',
  'ansible_loop',
  'ansible_version',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_forks',
  'role_path',
  'ansible_index_var',
  'ansible_loop_var',
  'lookup',
  'query',
  'q',
] as const;

/** Facts mc gathers under Ansible's names (src/workflows/playbook/facts.ts). */
export const FACT_NAMES = [
  'ansible_hostname',
  'ansible_nodename',
  'ansible_fqdn',
  'ansible_distribution',
  'ansible_distribution_version',
  'ansible_distribution_release',
  'ansible_distribution_major_version',
  'ansible_os_family',
  'ansible_system',
  'ansible_kernel',
  'ansible_architecture',
  'ansible_default_ipv4',
  'ansible_memtotal_mb',
  'ansible_processor_vcpus',
  'ansible_processor_nproc',
  'ansible_user_id',
  'ansible_env',
  'ansible_python_interpreter',
  'ansible_pkg_mgr',
  'ansible_service_mgr',
  'ansible_all_ipv4_addresses',
  'ansible_interfaces',
] as const;

/**
 * Every template of the play that reads a variable no source defines. `known` holds the names the
 * inventory and -e give; connection variables (ansible_*) count as defined, as they may come from anywhere.
 */
export function undefinedVariableIssues(play: Play, known: ReadonlySet<string>): InventoryIssue[] {
  const defined = new Set<string>([
    ...known,
    ...MAGIC_VARIABLES,
    ...FACT_NAMES,
    ...Object.keys(play.vars),
    ...play.varsFiles.flatMap((v) => Object.keys(v)),
    ...play.definedNames,
  ]);
  const issues: InventoryIssue[] = [];
  for (const use of play.templates) {
    for (const name of templateVariables(use.text, use.expression)) {
      if (defined.has(name) || name.startsWith('ansible_')) continue;
      const near = closestMatch(name, [...defined]);
      issues.push({
        ...use.at,
        message: `'${name}' is undefined: no play var, vars_files, inventory var, -e, register, set_fact or fact defines it${near === undefined ? '' : ` (did you mean '${near}'?)`}`,
      });
    }
  }
  return issues;
}
