import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  decodeGoStruct,
  goJsonEncode,
  parseAddrPort,
  type GoStructSpec,
} from '../../../src/lab/sim/go-json.js';

const TOKEN_REQUEST: GoStructSpec = {
  goType: 'types.TokenRequest',
  fields: { name: { kind: 'string' }, expire_after: { kind: 'duration' } },
};

const errorOf = (text: string): string => {
  const result = decodeGoStruct(text, TOKEN_REQUEST);
  return result.ok ? '(ok)' : result.error;
};

describe('Go encoding/json and netip, as the microcluster daemons decode requests', () => {
  it('words syntax errors as encoding/json’s scanner does', () => {
    assert.equal(errorOf(''), 'EOF');
    assert.equal(errorOf('  \n'), 'EOF');
    assert.equal(errorOf('{"name":"a"'), 'unexpected EOF');
    assert.equal(errorOf('x'), "invalid character 'x' looking for beginning of value");
    assert.equal(errorOf('{"name" "a"}'), "invalid character '\"' after object key");
    assert.equal(errorOf('{"name":"a" "b"}'), "invalid character '\"' after object key:value pair");
    assert.equal(errorOf('{"name":tru}'), "invalid character '}' in literal true (expecting 'e')");
    assert.equal(
      errorOf('{"expire_after":1.}'),
      "invalid character '}' after decimal point in numeric literal",
    );
    assert.equal(errorOf('{"name":"a\\q"}'), "invalid character 'q' in string escape code");
    assert.equal(errorOf('{"name":["a" "b"]}'), "invalid character '\"' after array element");
    // A decoder reads one value: what follows an object is not looked at.
    assert.equal(errorOf('{"name":"a"} trailing'), '(ok)');
  });

  it('reports type errors with the struct and field, matching names case-insensitively', () => {
    assert.equal(
      errorOf('{"name":"a","expire_after":"1h"}'),
      'json: cannot unmarshal string into Go struct field TokenRequest.expire_after of type time.Duration',
    );
    assert.equal(
      errorOf('{"expire_after":1.5}'),
      'json: cannot unmarshal number 1.5 into Go struct field TokenRequest.expire_after of type time.Duration',
    );
    assert.equal(errorOf('[]'), 'json: cannot unmarshal array into Go value of type types.TokenRequest');
    const decoded = decodeGoStruct(
      '{"NAME":"a","name":"b","Expire_After":3600000000000,"other":1}',
      TOKEN_REQUEST,
    );
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, { name: 'b', expire_after: 3_600_000_000_000 });
    const nothing = decodeGoStruct('null', TOKEN_REQUEST);
    assert.ok(nothing.ok && nothing.isNull);
  });

  it('parses ip:port as netip.ParseAddrPort', () => {
    assert.deepEqual(parseAddrPort('10.1.123.11:6443'), {
      ok: true,
      value: { ip: '10.1.123.11', port: 6443 },
    });
    assert.deepEqual(parseAddrPort('[fd42::1]:6443'), { ok: true, value: { ip: 'fd42::1', port: 6443 } });
    const problem = (text: string): string => {
      const parsed = parseAddrPort(text);
      return parsed.ok ? '(ok)' : parsed.error;
    };
    assert.equal(problem('10.1.123.11'), 'not an ip:port');
    assert.equal(problem(':6443'), 'no IP');
    assert.equal(problem('10.1.123.11:'), 'no port');
    assert.equal(problem('10.1.123.11:70000'), 'invalid port "70000" parsing "10.1.123.11:70000"');
    assert.equal(problem('10.1.123.256:6443'), 'ParseAddr("10.1.123.256"): IPv4 field has value >255');
    assert.equal(problem('micro1:6443'), 'ParseAddr("micro1"): unable to parse IP');
    assert.equal(
      problem('fd42::1:6443'),
      'invalid ip:port "fd42::1:6443", IPv6 addresses must be surrounded by square brackets',
    );
    assert.equal(
      problem('[10.1.123.11]:6443'),
      'invalid ip:port "[10.1.123.11]:6443", square brackets can only be used with IPv6 addresses',
    );
  });

  it('encodes as Go does, escaping HTML only where asked', () => {
    assert.equal(
      goJsonEncode({ a: '<x>&', b: [1, null] }, true),
      '{"a":"\\u003cx\\u003e\\u0026","b":[1,null]}',
    );
    assert.equal(goJsonEncode({ a: '<x>' }, false), '{"a":"<x>"}');
  });
});
