// Sites (issue 16): names from files, --site choice, and a machine no two sites may share. Pure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostSpec } from '../../src/domain/inventory/types.js';
import { pickSites, sharedHosts, siteName, sitesOf } from '../../src/domain/sites.js';

const host = (name: string, file: string, line: number, address = name, port?: number): HostSpec => ({
  name,
  address,
  ...(port === undefined ? {} : { port }),
  sshOptions: {},
  become: false,
  groups: ['all'],
  vars: {},
  origin: { file, line, col: 3 },
});

describe('sites', () => {
  it('a site is named after its file', () => {
    assert.equal(siteName('sites/paris.yaml'), 'paris');
    assert.equal(siteName('/etc/mc/lyon.prod.ini'), 'lyon.prod');
    assert.equal(siteName('hosts'), 'hosts');
    assert.equal(siteName('.hidden'), '.hidden');
  });

  it('two files making one site name are refused', () => {
    const { sites, problems } = sitesOf(['a/paris.yaml', 'lyon.yaml', 'b/paris.yml']);
    assert.deepEqual(
      sites.map((s) => s.name),
      ['paris', 'lyon'],
    );
    assert.deepEqual(problems, [
      '-i b/paris.yml: site paris is already a/paris.yaml (a site is named after its file): rename one of them',
    ]);
  });

  it('--site picks sites; an unknown one lists the known ones', () => {
    const { sites } = sitesOf(['paris.yaml', 'lyon.yaml', 'nice.yaml']);
    assert.deepEqual(
      pickSites(sites, []).sites.map((s) => s.name),
      ['paris', 'lyon', 'nice'],
    );
    assert.deepEqual(
      pickSites(sites, ['nice', 'paris']).sites.map((s) => s.name),
      ['paris', 'nice'],
    );
    assert.deepEqual(pickSites(sites, ['rome']).problems, [
      '--site rome: no such site; the sites are paris, lyon, nice (one per -i file)',
    ]);
  });

  it('a machine in two sites is refused at its second definition; the same names elsewhere are fine', () => {
    const paris = { name: 'paris', hosts: [host('micro1', 'paris.yaml', 4, '10.0.0.1')] };
    const lyon = {
      name: 'lyon',
      hosts: [host('micro1', 'lyon.yaml', 4, '10.0.1.1'), host('m9', 'lyon.yaml', 9, '10.0.0.1', 22)],
    };
    assert.deepEqual(sharedHosts([paris, lyon]), [
      'lyon.yaml:9:3: host m9 (10.0.0.1:22) is in site paris too, as micro1 at paris.yaml:4:3: a host can be in one site only; remove it from one of them',
    ]);
    // Another port is another machine (the embedded lab's hosts share an address).
    const other = { name: 'nice', hosts: [host('m1', 'nice.yaml', 2, '10.0.0.1', 2222)] };
    assert.deepEqual(sharedHosts([paris, other]), []);
  });
});
