// `microcloud` (2.x): preseed, status, cluster list, waitready. Errors print as `⨯ Error: <message>` through
// MicroCloud's own stderr writer (mc2 cmd/tui ColorErr), tables with lipgloss borders (§10.9).

import { goCsv, goJson, lipglossCompact, lipglossTable, sortRowsNaturally } from '../format.js';
import { stringify as yamlStringify } from 'yaml';
import { DaemonError, memberJson, memberRow, memberViews, requireCluster } from '../microcluster.js';
import { CloudError, cloudStatus, runPreseed } from '../microcloud.js';
import {
  NotModelledError,
  cobraFail,
  cobraHelp,
  runCobra,
  stringFlag,
  type CobraApp,
  type CobraCommand,
  type Output,
  type ParsedArgs,
  type ProgramContext,
  type ProgramResult,
} from '../program.js';

const ERROR_PREFIX = '⨯ Error: ';

function buildApp(ctx: ProgramContext): CobraApp {
  const { world, machine } = ctx;
  const app: CobraApp = {
    name: 'microcloud',
    version: machine.snaps.find((s) => s.name === 'microcloud')?.version.split('-')[0] ?? '',
    errorPrefix: ERROR_PREFIX,
    globalFlags: [
      { name: 'state-dir', type: 'string' },
      { name: 'help', short: 'h', type: 'bool' },
      { name: 'version', type: 'bool' },
      { name: 'no-color', type: 'bool' },
    ],
    commands: [],
  };
  const command = (
    path: string,
    use: string,
    short: string,
    flags: CobraCommand['flags'],
    body: (parsed: ParsedArgs, out: Output, self: CobraCommand) => Promise<number> | number,
  ): void => {
    const entry: CobraCommand = {
      path,
      use,
      short,
      flags,
      run: async (parsed, out) => {
        try {
          return await body(parsed, out, entry);
        } catch (error) {
          if (error instanceof DaemonError || error instanceof CloudError)
            return cobraFail(app, out, error.message);
          throw error;
        }
      },
    };
    app.commands.push(entry);
  };

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

  command(
    'waitready',
    'waitready',
    'Wait for the daemon to be ready to process requests',
    [{ name: 'timeout', short: 't', type: 'int' }],
    () => 0,
  );

  for (const path of [
    'init',
    'add',
    'join',
    'remove',
    'cluster remove',
    'cluster recover',
    'service list',
    'service add',
    'shutdown',
    'sql',
    'tokens',
  ]) {
    command(path, path.split(' ').at(-1) as string, path, [], () => {
      throw new NotModelledError(`microcloud ${path}`);
    });
  }
  return app;
}

export async function microcloudProgram(ctx: ProgramContext): Promise<ProgramResult> {
  // main.go refuses non-root callers before anything else (§6).
  if (ctx.uid !== 0) return { stdout: '', stderr: 'This must be run as root\n', exitCode: 1 };
  return runCobra(buildApp(ctx), ctx.argv.slice(1));
}
