// Templates against ansible-core 2.14 itself: every case is rendered by mc and by Ansible's Templar
// (test/playbook/ansible-templar.py, run by the Python that runs ansible-playbook) and the results compared.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Templar, UNDEFINED } from '../../src/domain/playbook/template.js';

interface Case {
  template: string;
  vars?: Record<string, unknown>;
  condition?: boolean;
}

const VARS = {
  s: 'Hello World',
  n: 5,
  f: 2.5,
  t: true,
  none: null,
  l: [3, 1, 2],
  words: ['b', 'a', 'b'],
  d: { a: 1, b: "it's", c: [1, 2] },
  users: [
    { name: 'ann', admin: true, uid: 1 },
    { name: 'bob', admin: false, uid: 2 },
  ],
  r: { rc: 0, stdout: 'ok\nline2', stdout_lines: ['ok', 'line2'], changed: true, failed: false },
  json_text: '{"k": [1, true, null]}',
  yes_text: 'yes',
  num_text: '42',
  nested: '{{ s }}!',
};

const CASES: Case[] = [
  { template: 'plain text' },
  { template: '{{ s }}' },
  { template: '{{ n }}' },
  { template: '{{ f }}' },
  { template: '{{ t }}' },
  { template: 'v={{ t }}' },
  { template: '{{ none }}' },
  { template: 'v={{ none }}' },
  // Ansible keeps the trailing newlines Jinja2 drops (preserve_trailing_newlines).
  { template: 'v={{ none }}\n' },
  { template: 'v={{ t }}\n\n' },
  { template: '{{ l }}\n' },
  { template: 'x\n{% if t %}y{% endif %}\n' },
  { template: '{{ t }}\n' },
  { template: '{{ t }} \n' },
  { template: '{{ l }}' },
  { template: 'v={{ l }}' },
  { template: 'v={{ d }}' },
  { template: '{{ d }}' },
  { template: '{{ users }}' },
  { template: '[{{ n }}, {{ n }}]' },
  { template: '{{ s | upper }} {{ s | lower }}' },
  { template: '{{ s | replace("World", "there") }}' },
  { template: '{{ s | regex_replace("o", "0") }}' },
  { template: "{{ s | regex_replace('(\\w+) (\\w+)', '\\2 \\1') }}" },
  { template: "{{ s | regex_search('W\\w+') }}" },
  { template: "{{ 'a\\nb' }}" },
  { template: "{{ words | select('equalto', 'b') | list }}" },
  { template: "{{ users | selectattr('name', 'search', 'o') | map(attribute='uid') | list }}" },
  { template: "{{ users | selectattr('uid', 'gt', 1) | map(attribute='name') | list }}" },
  { template: '{{ nope | default("fallback") }}' },
  { template: '{{ "" | default("empty", true) }}' },
  { template: '{{ yes_text | bool }}' },
  { template: '{{ num_text | int + 1 }}' },
  { template: '{{ "3.7" | float }}' },
  { template: '{{ l | join(",") }}' },
  { template: '{{ l | length }}' },
  { template: '{{ l | sort }}' },
  { template: '{{ l | max }} {{ l | min }} {{ l | sum }}' },
  { template: '{{ words | unique }}' },
  { template: '{{ d | dict2items }}' },
  { template: '{{ d | dict2items | items2dict }}' },
  { template: "{{ users | selectattr('admin') | map(attribute='name') | list }}" },
  { template: "{{ users | rejectattr('admin') | map(attribute='name') | join(',') }}" },
  { template: "{{ users | selectattr('uid', 'equalto', 2) | list | length }}" },
  { template: '{{ users | map(attribute="uid") | list }}' },
  { template: '{{ d | to_json }}' },
  { template: '{{ d | to_nice_json }}' },
  { template: '{{ json_text | from_json }}' },
  { template: '{{ (json_text | from_json).k[1] }}' },
  { template: '{{ l | first }}-{{ l | last }}' },
  { template: '{{ d.a }} {{ d["b"] }} {{ d.c[1] }}' },
  { template: '{{ r.stdout_lines | length }}' },
  { template: '{{ "a,b,c" | split(",") }}' },
  // Ansible keeps the text's trailing newlines (Jinja2 alone drops the last one).
  { template: '{{ s }}\n' },
  { template: '{{ r.stdout }}\n\n' },
  { template: '{% for u in users %}\n{{ u.name }}\n{% endfor %}\n' },
  { template: '{{ d | combine({"a": 9, "z": 0}) }}' },
  { template: '{{ [1, [2, [3]]] | flatten }}' },
  { template: '{{ [1, 2, 3] | difference([2]) }}' },
  { template: '{{ [1, 2] | union([2, 3]) }}' },
  { template: '{{ [1, 2] | intersect([2, 3]) }}' },
  { template: '{{ t | ternary("on", "off") }}' },
  { template: '{{ "x" | b64encode }} {{ "eA==" | b64decode }}' },
  { template: '{{ "/a/b/c.txt" | basename }} {{ "/a/b/c.txt" | dirname }}' },
  { template: '{{ "it s" | quote }}' },
  { template: '{% for u in users %}{{ u.name }}{% if not loop.last %},{% endif %}{% endfor %}' },
  { template: '{% if n > 3 %}big{% else %}small{% endif %}' },
  { template: '{% set x = n * 2 %}{{ x }}' },
  { template: '{{ n // 2 }} {{ n / 2 }} {{ n % 2 }} {{ 2 ** 3 }}' },
  { template: '{{ "a" ~ n }}' },
  { template: '{{ "yes" if t else "no" }}' },
  { template: '{{ s.split(" ")[0] }} {{ s.startswith("He") }} {{ s.lower() }}' },
  { template: '{{ d.keys() | list }}' },
  { template: '{{ d.get("zz", "dflt") }}' },
  { template: '{{ range(3) | list }}' },
  { template: '{{ nested }}' },
  { template: '{{ s | length }} {{ s | title }} {{ " pad " | trim }}' },
  { template: '{{ r is succeeded }} {{ r is changed }} {{ r is failed }} {{ r is skipped }}' },
  { template: '{{ nope is defined }} {{ s is defined }} {{ none is none }}' },
  { template: '{{ l is iterable }} {{ d is mapping }} {{ s is string }} {{ n is number }}' },
  { template: '{{ nope }}' },
  { template: '{{ d.zz }}' },
  { template: '{{ nope.deeper }}' },
  { template: '{{ d.zz is defined }}' },
  { template: 'r.rc == 0', condition: true },
  { template: "'ok' in r.stdout", condition: true },
  { template: 'l | length > 5', condition: true },
  { template: 'nope is defined', condition: true },
  { template: 'not t', condition: true },
  { template: 'words', condition: true },
  { template: 'yes_text | bool', condition: true },
  { template: 'nope', condition: true },
  { template: 'd.a == 1 and (n > 4 or t)', condition: true },
  // Python's equality: lists and dicts by contents (dicts in any key order), bool as int, 1 == 1.0, and a
  // string never equal to a number; `in` on a list by the same equality.
  { template: '{{ [1] == [1] }} {{ [1] != [1] }} {{ l == [3, 1, 2] }} {{ l == [1, 2, 3] }}' },
  { template: "{{ d == {'c': [1, 2], 'b': \"it's\", 'a': 1} }} {{ {'a': 1} == {'a': 1, 'b': 2} }}" },
  { template: "{{ t == 1 }} {{ n == 5.0 }} {{ num_text == 42 }} {{ '5' == n }} {{ none == none }}" },
  {
    template: "{{ [1, 2] in [[1, 2], [3]] }} {{ {'a': 1} in [{'a': 1}] }} {{ 1 in [true] }} {{ '1' in [1] }}",
  },
  { template: "users[0] == {'uid': 1, 'admin': true, 'name': 'ann'}", condition: true },
];

function oraclePython(): string {
  const shebang = readFileSync(
    execFileSync('sh', ['-c', 'command -v ansible-playbook']).toString().trim(),
    'utf8',
  ).split('\n')[0] as string;
  return shebang.replace(/^#!\s*/, '').split(' ')[0] as string;
}

function lookupIn(vars: Record<string, unknown>, templar: () => Templar) {
  return (name: string): unknown => {
    if (!Object.hasOwn(vars, name)) return UNDEFINED;
    const value = vars[name];
    // Variables written in a playbook are templates themselves, rendered when read (as Ansible does).
    return typeof value === 'string' ? templar().render(value) : value;
  };
}

type Outcome = { ok: unknown } | { error: string };

function mcOutcome(c: Case): Outcome {
  const vars = { ...VARS, ...c.vars };
  const templar: Templar = new Templar(lookupIn(vars, () => templar));
  try {
    return { ok: c.condition === true ? templar.condition(c.template) : templar.render(c.template) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('templates: mc renders what ansible-core 2.14 renders', () => {
  const input = JSON.stringify(CASES.map((c) => ({ ...c, vars: { ...VARS, ...c.vars } })));
  const expected = JSON.parse(
    execFileSync(oraclePython(), [new URL('./ansible-templar.py', import.meta.url).pathname], {
      input,
    }).toString(),
  ) as Outcome[];

  CASES.forEach((c, i) => {
    it(`${c.condition === true ? 'when: ' : ''}${c.template}`, () => {
      const want = expected[i] as Outcome;
      const got = mcOutcome(c);
      if ('error' in want) {
        assert.ok('error' in got, `Ansible fails (${want.error}); mc gave ${JSON.stringify(got)}`);
        // The undefined variable is named the same way.
        const named = /'[^']+' is undefined|has no attribute '[^']+'/.exec(want.error)?.[0];
        if (named !== undefined) assert.ok(got.error.includes(named), `${got.error} should say ${named}`);
      } else {
        assert.deepEqual(got, want);
      }
    });
  });
});

describe('templates reach nothing beyond their variables', () => {
  const templar = new Templar((name) => (name === 'x' ? { a: 1 } : UNDEFINED));
  const hostile = [
    "{{ ''.constructor.constructor('return process')() }}",
    "{{ ''.constructor }}",
    '{{ range.constructor }}',
    "{{ range.constructor('return process')() }}",
    '{{ x.__proto__ }}',
    "{{ x['__proto__']['constructor'] }}",
    '{{ x.constructor.name }}',
    '{{ [].constructor }}',
    "{{ lookup('pipe', 'id') }}",
    "{{ query('file', '/etc/passwd') }}",
    '{{ process }}',
    '{{ globalThis }}',
    '{{ require }}',
    '{{ cycler.__init__.__globals__ }}',
  ];
  for (const text of hostile) {
    it(`fails: ${text}`, () => {
      assert.throws(
        () => templar.render(text),
        (err: Error) => err.constructor.name === 'TemplateError',
      );
    });
  }

  it('never renders a value a second time: data from a host stays data', () => {
    const host = { stdout: "{{ ''.constructor.constructor('return process')() }}" };
    const t = new Templar((name) => (name === 'r' ? host : UNDEFINED));
    assert.equal(t.render('{{ r.stdout }}'), host.stdout);
    assert.equal(t.render('got: {{ r }}'), `got: {'stdout': "${host.stdout}"}`);
  });

  it('keeps a __proto__ key as data', () => {
    const t = new Templar((name) => (name === 'j' ? '{"__proto__": {"polluted": 1}}' : UNDEFINED));
    assert.deepEqual(Object.keys(t.render('{{ (j | from_json) | combine({"a": 1}) }}') as object), [
      '__proto__',
      'a',
    ]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
