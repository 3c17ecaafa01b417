import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseClickHouseUrl } from './url.js';

test('clickhouse url: host, port, database, cluster and nodes', () => {
  assert.deepEqual(
    parseClickHouseUrl('clickhouse://10.1.2.3:8124/flows?cluster=fh&nodes=10.1.2.3:8124,10.1.2.4'),
    {
      entry: 'http://10.1.2.3:8124',
      database: 'flows',
      cluster: 'fh',
      nodes: ['http://10.1.2.3:8124', 'http://10.1.2.4:8123'],
      username: 'default',
      password: '',
      display: 'clickhouse://10.1.2.3:8124/flows?cluster=fh',
    },
  );
});

test('clickhouse url: defaults, https, IPv6 and credentials never shown', () => {
  const a = parseClickHouseUrl('clickhouse://ch');
  assert.equal(a.entry, 'http://ch:8123');
  assert.equal(a.database, 'default');
  assert.equal(a.cluster, undefined);
  const b = parseClickHouseUrl('clickhouses://u%40x:p%3Aw@[2001:db8::1]/db');
  assert.equal(b.entry, 'https://[2001:db8::1]:8443');
  assert.deepEqual([b.username, b.password], ['u@x', 'p:w']);
  assert.equal(b.display, 'clickhouses://[2001:db8::1]/db');
  const c = parseClickHouseUrl('clickhouse://ch:9/db?user=flowhunt&password=s3cret');
  assert.deepEqual([c.username, c.password], ['flowhunt', 's3cret']);
  assert.ok(!c.display.includes('s3cret'));
});

test('clickhouse url: mistakes are one-line errors that say what is wrong', () => {
  const bad: [string, RegExp][] = [
    ['clickhouse://', /no host/],
    ['clickhouse://h:70000/db', /port 70000 is out of range/],
    ['clickhouse://h/my-db', /database name "my-db"/],
    ['clickhouse://h/db?clutser=x', /unknown parameter "clutser"/],
    ['clickhouse://h/db?nodes=a:1', /nodes= needs cluster=/],
    ['clickhouse://h/db?cluster=a%20b', /cluster name "a b"/],
    ['clickhouse://h/db?cluster=c&nodes=a:1,:2', /":2" is not HOST or HOST:PORT/],
    ['clickhouse:/h/db', /expected clickhouse:\/\/HOST:PORT\/DB/],
  ];
  for (const [url, re] of bad) {
    assert.throws(
      () => parseClickHouseUrl(url),
      (e: Error) =>
        re.test(e.message) && !e.message.includes('\n') && (e as { code?: string }).code === 'bad_store_url',
      url,
    );
  }
});
