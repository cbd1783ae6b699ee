// `microcloud` (2.x): preseed, status, cluster list, waitready. Errors print as `⨯ Error: <message>` through
// MicroCloud's own stderr writer (mc2 cmd/tui ColorErr), tables with lipgloss borders (§10.9).

import { goCsv, goJson, lipglossCompact, lipglossTable, sortRowsNaturally } from '../format.js';
import { stringify as yamlStringify } from 'yaml';
import { memberJson, memberRow, memberViews, requireCluster } from '../microcluster.js';
import { CloudError, cloudStatus, runPreseed } from '../microcloud.js';
import {
  NotModelledError,
  cobraFail,
  cobraHelp,
  runCobra,
  stringFlag,
  type CobraApp,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';
import { registerClusterRemove, registerMicrocloudRemove } from './cluster-remove.js';
import { microclusterCli } from './microcluster-cli.js';

const ERROR_PREFIX = '⨯ Error: ';

function buildApp(ctx: ProgramContext): CobraApp {
  const { world, machine } = ctx;
  const cli = microclusterCli(ctx, {
    name: 'microcloud',
    errorPrefix: ERROR_PREFIX,
    extraGlobalFlags: [{ name: 'no-color', type: 'bool' }],
    commandErrors: [CloudError],
    versionOf: (snapVersion) => snapVersion.split('-')[0] ?? '',
  });
  const { app, command, waitready, notModelled } = cli;

  command(
    'preseed',
    'preseed',
    'Initialize and extend a MicroCloud cluster unattended',
    [],
    async (parsed, out, self) => {
      if (parsed.positionals.length !== 0) return cobraHelp(app, self, out);
      await runPreseed({
        world,
        machine,
        stdin: ctx.stdin,
        out,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      return 0;
    },
  );

  command('status', 'status', 'Deployment status with configuration warnings', [], (parsed, out, self) => {
    if (parsed.positionals.length !== 0) return cobraHelp(app, self, out);
    const status = cloudStatus(world, machine);
    const level = status.warnings.some((w) => w.level === 'error')
      ? 'ERROR'
      : status.warnings.length > 0
        ? 'WARNING'
        : 'HEALTHY';
    out.println('');
    out.println(` Status: ${level}`);
    out.println('');
    for (const warning of status.warnings)
      out.println(` ┃ ${warning.level === 'error' ? '⨯' : '!'} ${warning.message}`);
    if (status.warnings.length > 0) out.println('');
    out.println(
      lipglossTable(
        ['Name', 'Address', 'OSDs', 'MicroCeph Units', 'MicroOVN Units', 'Status'],
        status.rows.map((r) => [r.name, r.address, r.osds, r.cephUnits, r.ovnUnits, r.status]),
      ),
    );
    return 0;
  });

  command(
    'cluster list',
    'list <address>',
    'List cluster members locally, or remotely if an address is specified.',
    [
      { name: 'format', short: 'f', type: 'string' },
      { name: 'local', type: 'bool' },
    ],
    (parsed, out) => {
      if (parsed.positionals.length > 0 || parsed.flags['local'] === true) {
        throw new NotModelledError('microcloud cluster list with an address or --local');
      }
      const cluster = requireCluster(world, machine, 'microcloud');
      const views = memberViews(world, cluster);
      const rows = sortRowsNaturally(views.map(memberRow));
      const header = ['NAME', 'ADDRESS', 'ROLE', 'FINGERPRINT', 'STATUS'];
      const format = stringFlag(parsed, 'format', 'table');
      const raw = views.map((v) => memberJson(world, v));
      // tui.FormatData, then fmt.Println: csv has no header, json is compact.
      const rendered: Record<string, () => string> = {
        csv: () => goCsv(rows),
        json: () => goJson(raw),
        yaml: () => yamlStringify(raw),
        table: () => lipglossTable(header, rows),
        compact: () => lipglossCompact(header, rows),
      };
      const render = rendered[format];
      if (!render) return cobraFail(app, out, `Invalid format (${format})`);
      out.println(render());
      return 0;
    },
  );

  waitready([{ name: 'timeout', short: 't', type: 'int' }]);
  registerClusterRemove(cli, ctx, 'microcloud', 'Remove the specified member from MicroCloud');
  registerMicrocloudRemove(cli, ctx);

  notModelled([
    'init',
    'add',
    'join',
    'cluster recover',
    'service list',
    'service add',
    'shutdown',
    'sql',
    'tokens',
  ]);
  return app;
}

export async function microcloudProgram(ctx: ProgramContext): Promise<ProgramResult> {
  // main.go refuses non-root callers before anything else (§6).
  if (ctx.uid !== 0) return { stdout: '', stderr: 'This must be run as root\n', exitCode: 1 };
  return runCobra(buildApp(ctx), ctx.argv.slice(1));
}
