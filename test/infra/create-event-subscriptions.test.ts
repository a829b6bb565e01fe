/**
 * The postdeploy hook (scripts/create-event-subscriptions.sh) against a stand-in `az` on PATH that
 * records its calls: it must wait, saying what it sees, until the host lists both Event Grid
 * functions, then deploy infra/event-subscriptions.bicep with every value from azd's environment,
 * retry a failed deployment, and give up with a clear message rather than hang.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'create-event-subscriptions.sh');

const AZD_VALUES = {
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000001',
  AZURE_LOCATION: 'swedencentral',
  AZURE_RESOURCE_GROUP: 'rg-test',
  AZURE_FUNCTION_APP_NAME: 'func-test',
  AZURE_STORAGE_ACCOUNT_NAME: 'sttest',
  ACS_RESOURCE_GROUP_NAME: 'rg-acs',
  ACS_SYSTEM_TOPIC_NAME: 'acs-events',
  EVENTGRID_TOPIC_NAME: 'evgt-test',
  EVENTGRID_DEAD_LETTER_CONTAINER: 'eventgrid-deadletter',
};

/**
 * A fake `az`: `functionapp function list` lists nothing for the first `listsBeforeIndexed` calls,
 * then both functions; `deployment sub create` fails `failedDeployments` times, then succeeds.
 */
function fakeAz(dir: string, options: { listsBeforeIndexed: number; failedDeployments: number }): string {
  const bin = path.join(dir, 'bin');
  const script = `#!/bin/sh
echo "$*" >> "${dir}/calls"
count() { n=$(cat "${dir}/$1" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "${dir}/$1"; echo "$n"; }
case "$1 $2" in
  "account show") exit 0 ;;
  "functionapp function")
    if [ "$(count lists)" -gt ${options.listsBeforeIndexed} ]; then printf 'func-test/health\\nfunc-test/smsEvents\\nfunc-test/accountEvents\\n'; fi
    exit 0 ;;
  "deployment sub")
    if [ "$(count deployments)" -le ${options.failedDeployments} ]; then echo "DeploymentFailed" >&2; exit 1; fi
    exit 0 ;;
esac
echo "unexpected az call: $*" >&2
exit 2
`;
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'az'), script);
  chmodSync(path.join(bin, 'az'), 0o755);
  return bin;
}

function runHook(options: { listsBeforeIndexed: number; failedDeployments: number; waitSeconds?: number }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'postdeploy-'));
  try {
    const bin = fakeAz(dir, options);
    const run = spawnSync('sh', [SCRIPT], {
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        ...AZD_VALUES,
        EVENT_SUBSCRIPTIONS_POLL_SECONDS: '0',
        EVENT_SUBSCRIPTIONS_RETRY_SECONDS: '0',
        EVENT_SUBSCRIPTIONS_WAIT_SECONDS: String(options.waitSeconds ?? 600),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const calls = readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n');
    return { status: run.status, stdout: run.stdout, stderr: run.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('scripts/create-event-subscriptions.sh (postdeploy hook)', () => {
  it('waits, saying so, until both functions are listed, then deploys the subscriptions template once', () => {
    const run = runHook({ listsBeforeIndexed: 2, failedDeployments: 0 });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('smsEvents indexed: no, accountEvents indexed: no');
    expect(run.stdout).toContain('both functions are indexed');
    expect(run.stdout).toContain('sms-to-func-test and whatsapp-to-func-test are in place');
    expect(run.calls.filter((call) => call.startsWith('functionapp function list'))).toHaveLength(3);
    const deployments = run.calls.filter((call) => call.startsWith('deployment sub create'));
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatch(/--template-file \S*infra\/event-subscriptions\.bicep/);
    for (const argument of [
      'resourceGroupName=rg-test',
      'acsResourceGroupName=rg-acs',
      'functionAppName=func-test',
      'systemTopicName=acs-events',
      'topicName=evgt-test',
      'storageAccountName=sttest',
      'deadLetterContainerName=eventgrid-deadletter',
      '--location swedencentral',
      `--subscription ${AZD_VALUES.AZURE_SUBSCRIPTION_ID}`,
    ]) {
      expect(deployments[0]).toContain(argument);
    }
    expect(run.calls.some((call) => call.startsWith('provision') || call.includes('azd'))).toBe(false);
  });

  it('tries a failed deployment again', () => {
    const run = runHook({ listsBeforeIndexed: 0, failedDeployments: 1 });
    expect(run.status).toBe(0);
    expect(run.calls.filter((call) => call.startsWith('deployment sub create'))).toHaveLength(2);
  });

  it('gives up with a message saying what to do when the functions never show up', () => {
    const run = runHook({ listsBeforeIndexed: 1000, failedDeployments: 0, waitSeconds: 0 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('smsEvents: no, accountEvents: no');
    expect(run.stderr).toContain('Run this script again');
    expect(run.calls.some((call) => call.startsWith('deployment'))).toBe(false);
  });

  it('gives up after three failed deployments', () => {
    const run = runHook({ listsBeforeIndexed: 0, failedDeployments: 5 });
    expect(run.status).toBe(1);
    expect(run.calls.filter((call) => call.startsWith('deployment sub create'))).toHaveLength(3);
    expect(run.stderr).toContain('failed three times');
  });
});
