import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_RANGE_HOSTS,
  expandHostRange,
  selectHosts,
  splitHostPort,
} from '../../../src/domain/inventory/host-patterns.js';
import { lines, parseValid } from './helpers.js';

function expanded(pattern: string): string[] {
  const result = expandHostRange(pattern);
  if (!result.ok) assert.fail(result.error);
  return result.hosts;
}

function rangeError(pattern: string): string {
  const result = expandHostRange(pattern);
  if (result.ok) assert.fail(`expected an error for ${pattern}`);
  return result.error;
}

describe('expandHostRange', () => {
  it('returns a plain name as is', () => {
    assert.deepEqual(expanded('node1.example.com'), ['node1.example.com']);
  });

  it('expands numeric, zero-padded, alphabetic and strided ranges', () => {
    assert.deepEqual(expanded('node[1:3]'), ['node1', 'node2', 'node3']);
    assert.deepEqual(expanded('node[01:10]'), [
      'node01',
      'node02',
      'node03',
      'node04',
      'node05',
      'node06',
      'node07',
      'node08',
      'node09',
      'node10',
    ]);
    assert.deepEqual(expanded('node[a:c]'), ['nodea', 'nodeb', 'nodec']);
    assert.deepEqual(expanded('node[1:10:2]'), ['node1', 'node3', 'node5', 'node7', 'node9']);
    assert.deepEqual(expanded('node[a:e:2]'), ['nodea', 'nodec', 'nodee']);
    assert.deepEqual(expanded('db-[y:B]'), ['db-y', 'db-z', 'db-A', 'db-B']);
  });

  it('expands several ranges in one name, and an empty begin as 0', () => {
    assert.deepEqual(expanded('r[1:2]-n[a:b].lab'), ['r1-na.lab', 'r1-nb.lab', 'r2-na.lab', 'r2-nb.lab']);
    assert.deepEqual(expanded('n[:2]'), ['n0', 'n1', 'n2']);
  });

  it('explains invalid ranges', () => {
    assert.equal(rangeError('node[1:]'), "host range 'node[1:]' has no end value");
    assert.equal(rangeError('node[1]'), "host range 'node[1]' must be [begin:end] or [begin:end:step]");
    assert.equal(
      rangeError('node[1:2:3:4]'),
      "host range 'node[1:2:3:4]' must be [begin:end] or [begin:end:step]",
    );
    assert.equal(
      rangeError('node[01:100]'),
      "host range 'node[01:100]' must give begin and end with the same number of digits",
    );
    assert.equal(rangeError('node[3:1]'), "host range 'node[3:1]' must have begin <= end");
    assert.equal(rangeError('node[c:a]'), "host range 'node[c:a]' must have begin <= end");
    assert.equal(
      rangeError('node[a:3]'),
      "host range 'node[a:3]' must be numeric ([1:3]) or single letters ([a:c])",
    );
    assert.equal(rangeError('node[1:3'), "unclosed '[' in host range 'node[1:3'");
    assert.equal(
      rangeError('node[1:3:0]'),
      "host range 'node[1:3:0]' has an invalid step '0' (use a positive integer)",
    );
    assert.equal(
      rangeError('node[1:99999]'),
      `host range 'node[1:99999]' expands to more than ${MAX_RANGE_HOSTS} hosts`,
    );
    assert.equal(
      rangeError('r[1:200]n[1:200]'),
      `host range 'r[1:200]n[1:200]' expands to more than ${MAX_RANGE_HOSTS} hosts`,
    );
  });
});

describe('splitHostPort', () => {
  it('splits a port off names, ranges and bracketed IPv6 addresses', () => {
    assert.deepEqual(splitHostPort('node1:2222'), { host: 'node1', port: 2222 });
    assert.deepEqual(splitHostPort('node[1:3]:2222'), { host: 'node[1:3]', port: 2222 });
    assert.deepEqual(splitHostPort('[fe80::1]:2222'), { host: 'fe80::1', port: 2222 });
  });

  it('leaves names without a port alone, IPv6 and ranges included', () => {
    assert.deepEqual(splitHostPort('node[1:3]'), { host: 'node[1:3]' });
    assert.deepEqual(splitHostPort('fe80::1'), { host: 'fe80::1' });
    assert.deepEqual(splitHostPort('10.0.0.1'), { host: '10.0.0.1' });
  });
});

describe('selectHosts', () => {
  const inventory = parseValid(
    'hosts.yaml',
    lines(
      'groups:',
      '  storage:',
      '    hosts: [node1, node2]',
      '  rack1:',
      '    hosts: [node3]',
      '    children: [storage]',
      '  empty: {}',
      'hosts:',
      '  node1:',
      '  node2:',
      '  node3:',
      '  web-a:',
    ),
  );
  const select = (pattern: string): string[] | string[][] => {
    const selection = selectHosts(inventory, pattern);
    return selection.ok ? selection.hosts.map((host) => host.name) : [selection.issues];
  };

  it('selects everything with all or *', () => {
    assert.deepEqual(select('all'), ['node1', 'node2', 'node3', 'web-a']);
    assert.deepEqual(select('*'), ['node1', 'node2', 'node3', 'web-a']);
  });

  it('selects hosts and groups by name, returning inventory order', () => {
    assert.deepEqual(select('node3,node1'), ['node1', 'node3']);
    assert.deepEqual(select('storage'), ['node1', 'node2']);
    assert.deepEqual(select('rack1'), ['node1', 'node2', 'node3']);
    assert.deepEqual(select('ungrouped'), ['web-a']);
    assert.deepEqual(select('web-a:node2'), ['node2', 'web-a']);
  });

  it('applies exclusions and intersections after unions, whatever the order', () => {
    assert.deepEqual(select('rack1:!storage'), ['node3']);
    assert.deepEqual(select('!node2,rack1'), ['node1', 'node3']);
    assert.deepEqual(select('rack1:&storage'), ['node1', 'node2']);
    assert.deepEqual(select('&storage,all,!node1'), ['node2']);
  });

  it('starts from all when only exclusions or intersections are given', () => {
    assert.deepEqual(select('!storage'), ['node3', 'web-a']);
    assert.deepEqual(select('&rack1'), ['node1', 'node2', 'node3']);
  });

  it('matches globs and regular expressions against hosts and groups', () => {
    assert.deepEqual(select('node*'), ['node1', 'node2', 'node3']);
    assert.deepEqual(select('node[13]'), ['node1', 'node3']);
    assert.deepEqual(select('node?,!node[!1]'), ['node1']);
    assert.deepEqual(select('stor*'), ['node1', 'node2']);
    assert.deepEqual(select('~node[12]'), ['node1', 'node2']);
    assert.deepEqual(select('~(web|rack)'), ['node1', 'node2', 'node3', 'web-a']);
  });

  it('selects nothing, without complaint, for a group that exists but is empty', () => {
    assert.deepEqual(select('empty'), []);
  });

  it('reports every term that matches nothing, exclusions included', () => {
    assert.deepEqual(select('foo'), [["--limit: 'foo' matches no host or group"]]);
    assert.deepEqual(select('node1,!nod3,&bar*'), [
      ["--limit: 'bar*' matches no host or group", "--limit: 'nod3' matches no host or group"],
    ]);
  });

  it('does not split IPv6 addresses on their colons', () => {
    const ipv6 = parseValid('hosts.yml', lines('all:', '  hosts:', '    "fe80::1":', '    a:', '    b:'));
    const names = (pattern: string): string[] | string[][] => {
      const selection = selectHosts(ipv6, pattern);
      return selection.ok ? selection.hosts.map((host) => host.name) : [selection.issues];
    };
    assert.deepEqual(names('fe80::1'), ['fe80::1']);
    assert.deepEqual(names('a:b'), ['a', 'b']);
  });

  it('reports an empty pattern, an invalid regular expression and @file lists', () => {
    assert.deepEqual(select('@retry.txt'), [
      ['--limit: @retry.txt host lists from files are not supported (list the host names instead)'],
    ]);
    assert.deepEqual(select(' , '), [['--limit: the pattern is empty (try --limit all)']]);
    assert.deepEqual(select('~('), [["--limit: invalid regular expression '~(': Unterminated group"]]);
  });
});
