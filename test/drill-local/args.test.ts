/** `npm run drill:local` picks its config like `cdk synth` and `npm run report`, and explains its table. */
import { DrillArgsError, parseDrillArgs } from '../../scripts/drill-local/args';
import { formatLegend, formatTable, type DrillResult } from '../../scripts/drill-local/drill';

describe('npm run drill:local arguments', () => {
  test.each<[string[], string]>([
    [[], 'default'],
    [['-c', 'config=prod'], 'prod'],
    [['-c', 'prod'], 'prod'],
    [['--context', 'config=staging'], 'staging'],
    [['--config', 'prod'], 'prod'],
    [['--config=prod'], 'prod'],
  ])('%j drills config %s', (argv, config) => {
    expect(parseDrillArgs(argv)).toEqual({ help: false, config });
  });

  test('npm run drill:local -c config=prod without "--": npm hands it over as npm_config_call', () => {
    expect(parseDrillArgs([], { npm_config_call: 'config=prod' })).toEqual({ help: false, config: 'prod' });
    // an argument after "--" wins; an unrelated --call is ignored
    expect(parseDrillArgs(['--config', 'staging'], { npm_config_call: 'config=prod' })).toEqual({
      help: false,
      config: 'staging',
    });
    expect(parseDrillArgs([], { npm_config_call: 'echo hi' })).toEqual({ help: false, config: 'default' });
  });

  test('--help asks for the usage', () => {
    expect(parseDrillArgs(['--help'])).toEqual({ help: true });
  });

  test.each<[string[], string]>([
    [
      ['--bogus'],
      'unknown argument "--bogus". Usage: npm run drill:local -- [-c config=NAME | --config NAME]',
    ],
    [['-c'], '-c needs a value. Usage:'],
    [
      ['-c', 'resilienceChecks=off'],
      '-c resilienceChecks=off: the drill reads only the context key "config". Usage:',
    ],
    [['--config='], '--config=: the config name is empty. Usage:'],
  ])('%j is refused with what to write', (argv, message) => {
    expect(() => parseDrillArgs(argv)).toThrow(DrillArgsError);
    expect(() => parseDrillArgs(argv)).toThrow(message);
  });
});

describe('the drill table says what its columns and counts mean', () => {
  const result: DrillResult = {
    timeScale: 10,
    budgetSeconds: 100,
    facts: {
      chain: ['a', 'b', 'cloudfront'],
      intervalSeconds: 10,
      failureThreshold: 3,
      checkers: 5,
      ttlSeconds: 60,
    },
    setup: {
      configName: 'prod',
      workers: 4,
      promoteOn: 'page',
      canaryFailuresToAlarm: 3,
      canaryEvaluationPeriods: 5,
    },
    phases: [
      {
        name: 'unplanned: ap-northeast-2 lost',
        planned: false,
        detectSeconds: 2.8,
        pageSeconds: 17.8,
        reachSeconds: 5.8,
        browseSeconds: 5.8,
        buySeconds: 18.2,
        acknowledged: 412,
        acknowledgedLost: 0,
        duplicates: 0,
        unacknowledgedCommits: 0,
        shopRestarts: 0,
        dnsPath: '',
        pageFailures: [],
      },
      {
        name: 'planned: fail back to ap-northeast-2',
        planned: true,
        detectSeconds: 2.8,
        pageSeconds: null,
        reachSeconds: 0,
        browseSeconds: 0,
        buySeconds: 4.7,
        acknowledged: 237,
        acknowledgedLost: 0,
        duplicates: 0,
        unacknowledgedCommits: 0,
        shopRestarts: 0,
        dnsPath: '',
        pageFailures: [],
      },
    ],
    worstCaseSeconds: 58,
    failures: [],
  };

  test('"lost" is counted out of the orders acknowledged in the window', () => {
    const table = formatTable(result);
    expect(table).toContain('| lost (of acked) |');
    expect(table).toContain('| 0 of 412 |');
    expect(table).toContain('| 0 of 237 |');
  });

  test('the legend names the config, the customers, every column, and why buying waits for the page', () => {
    const legend = formatLegend(result);
    expect(legend).toContain('Legend (config "prod", 4 customers shopping in a loop, time compressed 10×)');
    for (const column of [
      'detect',
      'page (on-call)',
      'reach a page',
      'browse',
      'buy',
      'lost (of acked)',
      'duplicates',
      'unacked commits',
      'shop restarts',
    ])
      expect(legend).toMatch(new RegExp(`^ {2}${column.replace(/[()]/g, '\\$&')} `, 'm'));
    expect(legend).toContain('each failing 3 of 5 one-minute canary runs');
    expect(legend).toContain(
      "Writes need the standby's database promoted to writer, and the on-call promotes the standby when the page arrives",
    );
    expect(legend).toContain(
      'so buy comes after page, and the failover budget covers reach and browse, not buy',
    );
    expect(legend).toContain(
      'before the fault for the unplanned phase (412), after the promotion for the planned one (237)',
    );
    const detect = formatLegend({ ...result, setup: { ...result.setup, promoteOn: 'detect' } });
    expect(detect).toContain('the standby is promoted as soon as Route 53 detects the loss');
  });
});
