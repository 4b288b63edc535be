import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ECR_ACCOUNT_ACTIONS, ECR_REPOSITORY_ACTIONS, EcrScanStack } from '../deploy/aws/ecr-scan-stack.js';
import { SCHEDULE_INPUT } from '../src/lambda/schedule-event.js';

/**
 * The CloudFormation template the CDK app synthesises, checked with CDK's own assertions:
 * one synthesis for the whole file (it bundles the functions' code), two stacks: one that
 * creates its Aurora database and one on an existing database.
 */

const REGISTRIES = ['123456789012', '210987654321'];
const EXISTING_SECRET = 'arn:aws:secretsmanager:us-east-2:123456789012:secret:shared/ecrscan-AbCdEf';
const app = new App({ outdir: join(process.env.TMPDIR ?? '/tmp', `ecrscan-cdk-${process.pid}`) });
const env = { account: '123456789012', region: 'us-east-2' };
const aurora = new EcrScanStack(app, 'ecr-continuous-scan', { env, registries: REGISTRIES });
const existing = new EcrScanStack(app, 'ecr-continuous-scan-existing-db', { env, registries: [], databaseSecretArn: EXISTING_SECRET });
const assembly = app.synth();
const template = Template.fromJSON(assembly.getStackByName(aurora.stackName).template as Record<string, unknown>);
const existingTemplate = Template.fromJSON(assembly.getStackByName(existing.stackName).template as Record<string, unknown>);

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };

/** Every policy statement of the stack's IAM policies. */
function statements(of: Template): Statement[] {
  return Object.values(of.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

function actionsOf(statement: Statement): string[] {
  return [statement.Action].flat();
}

describe('the AWS stack', () => {
  it('has the API, the two functions, the schedule, the database and the secrets', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /' });
    template.resourceCountIs('AWS::Lambda::Function', 2);
    for (const handler of ['api-function.handler', 'scheduled-function.handler']) {
      template.hasResourceProperties('AWS::Lambda::Function', { Handler: handler, Runtime: 'nodejs24.x' });
    }
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'scheduled-function.handler',
      Timeout: 900,
      Environment: { Variables: Match.objectLike({ ECRSCAN_MODE: 'scheduler', ECRSCAN_SCAN_TIMEOUT_MINUTES: '10' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'api-function.handler',
      MemorySize: 1769,
      Environment: { Variables: Match.objectLike({ ECRSCAN_MODE: 'api', ECRSCAN_DATABASE_SECRET: Match.anyValue(), ECRSCAN_API_TOKEN_SECRET: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 } });
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.serverless' });
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
  });

  it('keeps secrets out of the functions\' environment', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Environment: { Variables: Record<string, unknown> } } }>;
    for (const fn of functions) {
      const variables = fn.Properties.Environment.Variables;
      for (const name of ['DATABASE_URL', 'ECRSCAN_API_TOKEN', 'AWS_ACCESS_KEY_ID']) assert.equal(variables[name], undefined, name);
    }
  });

  it('invokes the scheduled function every five minutes with the schedule\'s event, without retries', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Target: { Input: JSON.stringify(SCHEDULE_INPUT), RetryPolicy: { MaximumRetryAttempts: 0 }, Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduledFunction'), 'Arn'] } },
    });
  });

  it('grants exactly the ECR actions the README lists, repository actions only on the registries given', () => {
    const ecr = statements(template).filter((statement) => actionsOf(statement).some((action) => action.startsWith('ecr:')));
    assert.deepEqual(ecr.flatMap(actionsOf).sort(), [...ECR_REPOSITORY_ACTIONS, ...ECR_ACCOUNT_ACTIONS].sort());
    const scoped = ecr.find((statement) => statement.Sid === 'ScanRegisteredRepositories');
    assert.deepEqual(actionsOf(scoped!).sort(), [...ECR_REPOSITORY_ACTIONS].sort());
    assert.deepEqual(scoped!.Resource, REGISTRIES.map((account) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:*:${account}:repository/*`]] })));
    // `*` only for actions that name no resource: no write (StartImageScan) and no repository read on `*`.
    for (const statement of ecr.filter((candidate) => [candidate.Resource].flat().includes('*'))) {
      assert.deepEqual(actionsOf(statement).sort(), ['ecr:GetAuthorizationToken', 'ecr:GetRegistryScanningConfiguration']);
    }
    const readme = readReadme();
    for (const action of [...ECR_REPOSITORY_ACTIONS, ...ECR_ACCOUNT_ACTIONS]) assert.ok(readme.includes(`\`${action}\``), `README lists ${action}`);
  });

  it('lets only the functions read the secrets, and only the scheduled function reach ECR', () => {
    const secretReads = statements(template).filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    assert.equal(secretReads.length, 4, 'each function reads the two secrets');
    for (const statement of secretReads) assert.notEqual(statement.Resource, '*');
    const roles = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      JSON.stringify(policy).includes('"ecr:'),
    );
    assert.equal(roles.length, 1);
    assert.match(JSON.stringify(roles[0]![1]), /ScheduledFunction/);
  });

  it('encrypts the database and keeps it out of the internet', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true });
    template.hasResourceProperties('AWS::RDS::DBInstance', { PubliclyAccessible: false });
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot' });
    template.hasResourceProperties('AWS::Lambda::Function', { Handler: 'api-function.handler', VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }) });
  });

  it('keeps the functions\' logs for a month', () => {
    const groups = template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
    assert.ok(Object.keys(groups).length >= 2);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { LoggingConfig?: { LogGroup?: { Ref?: string } } } }>;
    for (const fn of functions) assert.ok(fn.Properties.LoggingConfig?.LogGroup?.Ref && Object.keys(groups).includes(fn.Properties.LoggingConfig.LogGroup.Ref));
  });

  it('outputs the API\'s URL under the demo\'s name, and the token\'s secret', () => {
    template.hasOutput('ECRScanAPIEndpoint', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Api'), 'ApiEndpoint'] } });
    template.hasOutput('ECRScanAPITokenSecret', { Value: { Ref: Match.stringLikeRegexp('^ApiToken') } });
  });

  it('on an existing database, creates none and reads its secret', () => {
    existingTemplate.resourceCountIs('AWS::RDS::DBCluster', 0);
    existingTemplate.resourceCountIs('AWS::EC2::VPC', 0);
    existingTemplate.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ ECRSCAN_DATABASE_SECRET: EXISTING_SECRET }) } });
    const reads = statements(existingTemplate).filter((statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    assert.ok(reads.some((statement) => JSON.stringify(statement.Resource) === JSON.stringify(EXISTING_SECRET)));
    // With no registry given, the deploying account's.
    const scoped = statements(existingTemplate).find((statement) => statement.Sid === 'ScanRegisteredRepositories');
    assert.deepEqual(scoped!.Resource, { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:*:123456789012:repository/*']] });
  });

  it('bundles both handlers and the analysis worker as ES modules, one asset for both functions', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Array<{ Properties: { Code: { S3Key: string } } }>;
    const keys = new Set(functions.map((fn) => fn.Properties.Code.S3Key));
    assert.equal(keys.size, 1);
    const dir = join(assembly.directory, `asset.${[...keys][0]!.replace(/\.zip$/, '')}`);
    for (const file of ['api-function.js', 'scheduled-function.js', 'analysis-worker.js', 'package.json']) assert.ok(existsSync(join(dir, file)), file);
    // Loaded as Lambda loads it (an ES module by its path, in a fresh process): every chunk resolves,
    // and the scheduled handler refuses an event that is not its schedule's.
    const script = `
      const api = await import(${JSON.stringify(join(dir, 'api-function.js'))});
      const scheduled = await import(${JSON.stringify(join(dir, 'scheduled-function.js'))});
      const refusal = await scheduled.handler({ source: 'aws.events' }, { getRemainingTimeInMillis: () => 1000 }).then(() => 'ran', (err) => err.message);
      process.stdout.write(JSON.stringify({ api: typeof api.handler, scheduled: typeof scheduled.handler, refusal }));
      process.exit(0);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', AWS_REGION: 'us-east-2' },
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const loaded = JSON.parse(child.stdout) as Record<string, string>;
    assert.deepEqual({ api: loaded.api, scheduled: loaded.scheduled }, { api: 'function', scheduled: 'function' });
    assert.match(loaded.refusal ?? '', /takes only its schedule's event/);
  });
});

function readReadme(): string {
  return readFileSync(new URL('../README.md', import.meta.url), 'utf8');
}
