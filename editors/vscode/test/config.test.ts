// Settings mapping (src/config.ts): VS Code settings → the server's settings object, the server's
// environment, and which changes restart the server versus apply live.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  anyLens,
  changeEffect,
  DEFAULT_BUDGET,
  didChangeConfigurationParams,
  readSettings,
  serverEnv,
  serverSettings,
} from '../src/config';

const from = (values: Record<string, unknown>) => readSettings((key) => values[key]);

test('defaults when nothing is set', () => {
  const s = from({});
  assert.deepEqual(s, {
    serverPath: '',
    budgetTokens: DEFAULT_BUDGET,
    lenses: { references: true, callers: true, complexity: true, impact: true },
    logLevel: 'info',
    mcpEnabled: true,
    statusPollSeconds: 5,
  });
});

test('values are read and invalid ones replaced by defaults', () => {
  const s = from({
    'server.path': '  /opt/leindex  ',
    budgetTokens: 1500.7,
    'lenses.complexity': false,
    'lenses.impact': 'no',
    logLevel: 'debug',
    'statusBar.pollSeconds': 0,
  });
  assert.equal(s.serverPath, '/opt/leindex');
  assert.equal(s.budgetTokens, 1500);
  assert.deepEqual(s.lenses, { references: true, callers: true, complexity: false, impact: true });
  assert.equal(s.logLevel, 'debug');
  assert.equal(s.statusPollSeconds, 0);
  assert.equal(from({ budgetTokens: 0 }).budgetTokens, DEFAULT_BUDGET);
  assert.equal(from({ budgetTokens: Number.NaN }).budgetTokens, DEFAULT_BUDGET);
  assert.equal(from({ logLevel: 'verbose' }).logLevel, 'info');
});

test('the server settings object and didChangeConfiguration params', () => {
  const s = from({ budgetTokens: 2000, 'lenses.references': false });
  const expected = { lenses: { references: false, callers: true, complexity: true, impact: true }, budgetTokens: 2000 };
  assert.deepEqual(serverSettings(s), expected);
  assert.deepEqual(didChangeConfigurationParams(s), { settings: { leindex: expected } });
  // A copy: later changes to the settings do not leak into a message already built.
  const sent = serverSettings(s);
  s.lenses.callers = false;
  assert.equal(sent.lenses.callers, true);
});

test('server environment carries the log level', () => {
  const env = serverEnv(from({ logLevel: 'warn' }), { PATH: '/bin', LEINDEX_LOG: 'trace', UNSET: undefined });
  assert.deepEqual(env, { PATH: '/bin', LEINDEX_LOG: 'warn' });
});

test('which changes restart the server and which apply live', () => {
  const base = from({});
  assert.equal(changeEffect(base, from({})), 'none');
  assert.equal(changeEffect(base, from({ 'server.path': '/x/leindex' })), 'restart');
  assert.equal(changeEffect(base, from({ logLevel: 'debug' })), 'restart');
  assert.equal(changeEffect(base, from({ budgetTokens: 100 })), 'notify');
  assert.equal(changeEffect(base, from({ 'lenses.impact': false })), 'notify');
  assert.equal(changeEffect(base, from({ 'mcp.enabled': false })), 'none');
});

test('anyLens', () => {
  assert.equal(anyLens(from({}).lenses), true);
  const off = from({ 'lenses.references': false, 'lenses.callers': false, 'lenses.complexity': false, 'lenses.impact': false });
  assert.equal(anyLens(off.lenses), false);
});
