import { AssetHashType, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, PayloadFormatVersion } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SCHEDULE_INPUT } from '../../src/lambda/schedule-event.js';
import { API_HANDLER, bundleLambda, REPOSITORY_ROOT, SCHEDULED_HANDLER } from './lambda-bundle.js';

export interface EcrScanStackProps extends StackProps {
  /** AWS account ids of the ECR registries to scan; the deploying account when empty. */
  registries: readonly string[];
  /** An existing PostgreSQL database's credentials secret (RDS format); absent: the stack creates Aurora Serverless v2. */
  databaseSecretArn?: string;
  /** Minutes between two scheduler cycles. */
  cycleMinutes?: number;
  /** How long the functions' logs are kept. */
  logRetention?: logs.RetentionDays;
}

/**
 * The ECR actions the README lists for the ECR scanner, and the pull actions of the
 * built-in scanner on ECR: scoped to the registries' repositories. Actions that name no
 * resource are granted apart, on `*`, as IAM requires.
 */
export const ECR_REPOSITORY_ACTIONS = [
  'ecr:DescribeImages',
  'ecr:ListImages',
  'ecr:StartImageScan',
  'ecr:DescribeImageScanFindings',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
] as const;
export const ECR_ACCOUNT_ACTIONS = ['ecr:GetRegistryScanningConfiguration', 'ecr:GetAuthorizationToken'] as const;

// The scheduled function's limit, the longest Lambda allows; a cycle ends its work before it.
const CYCLE_TIMEOUT = Duration.minutes(15);
// A scan that cannot finish within a cycle fails with this error rather than being retried for ever.
const SCAN_TIMEOUT_MINUTES = 10;

/**
 * ecr-continuous-scan on AWS: an HTTP API in front of the API function, a schedule
 * invoking the scheduled function every few minutes, PostgreSQL as the store, the
 * credentials and the API token in Secrets Manager.
 */
export class EcrScanStack extends Stack {
  constructor(scope: Construct, id: string, props: EcrScanStackProps) {
    super(scope, id, props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const code = lambda.Code.fromAsset(`${REPOSITORY_ROOT}/src/lambda`, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Local bundling always succeeds where the stack is synthesised (esbuild is a dev dependency); the image is never used.
        image: lambda.Runtime.NODEJS_24_X.bundlingImage,
        local: { tryBundle: (outputDir) => (bundleLambda(outputDir), true) },
      },
    });

    const apiToken = new secretsmanager.Secret(this, 'ApiToken', {
      description: 'ecr-continuous-scan: the admin API token (Authorization: Bearer <token>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const database = props.databaseSecretArn
      ? { secret: secretsmanager.Secret.fromSecretCompleteArn(this, 'DatabaseSecret', props.databaseSecretArn), network: null }
      : this.auroraDatabase();

    const api = new HttpApi(this, 'Api', { description: 'ecr-continuous-scan HTTP API' });
    // The current Node.js LTS that Lambda runs; the code is bundled for it (LAMBDA_NODE_TARGET).
    const shared = { runtime: lambda.Runtime.NODEJS_24_X, architecture: lambda.Architecture.X86_64, code, ...(database.network ?? {}) };
    const environment = {
      ECRSCAN_DATABASE_SECRET: database.secret.secretArn,
      ECRSCAN_API_TOKEN_SECRET: apiToken.secretArn,
      ECRSCAN_PUBLIC_URL: api.apiEndpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };

    const apiFunction = new lambda.Function(this, 'ApiFunction', {
      ...shared,
      handler: API_HANDLER,
      description: 'ecr-continuous-scan: the HTTP API',
      // From 1,769 MB a function has a whole vCPU: the cold start's CPU time is then its wall time (bench/README.md).
      memorySize: 1769,
      timeout: Duration.seconds(29),
      environment: { ...environment, ECRSCAN_MODE: 'api', DATABASE_POOL_SIZE: '2' },
      logGroup: new logs.LogGroup(this, 'ApiLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    api.addRoutes({
      path: '/{proxy+}',
      integration: new HttpLambdaIntegration('ApiIntegration', apiFunction, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
    });
    api.addRoutes({
      path: '/',
      integration: new HttpLambdaIntegration('ApiRootIntegration', apiFunction, { payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 }),
    });

    const scheduledFunction = new lambda.Function(this, 'ScheduledFunction', {
      ...shared,
      handler: SCHEDULED_HANDLER,
      description: 'ecr-continuous-scan: one scheduler cycle (scans, notifications, advisories)',
      memorySize: 2048,
      timeout: CYCLE_TIMEOUT,
      environment: { ...environment, ECRSCAN_MODE: 'scheduler', DATABASE_POOL_SIZE: '5', ECRSCAN_SCAN_TIMEOUT_MINUTES: String(SCAN_TIMEOUT_MINUTES) },
      logGroup: new logs.LogGroup(this, 'ScheduledLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    for (const fn of [apiFunction, scheduledFunction]) {
      database.secret.grantRead(fn);
      apiToken.grantRead(fn);
    }
    this.grantEcr(scheduledFunction, props.registries.length > 0 ? props.registries : [this.account]);

    new Schedule(this, 'Cycle', {
      description: 'ecr-continuous-scan: runs one scheduler cycle',
      schedule: ScheduleExpression.rate(Duration.minutes(props.cycleMinutes ?? 5)),
      // A failed cycle is not retried: the next one comes within minutes and finds the same work.
      target: new LambdaInvoke(scheduledFunction, {
        retryAttempts: 0,
        input: ScheduleTargetInput.fromObject(SCHEDULE_INPUT),
      }),
    });

    new CfnOutput(this, 'ECRScanAPIEndpoint', { value: api.apiEndpoint, description: 'Base URL of the HTTP API (ECRSCANAPI_URL)' });
    new CfnOutput(this, 'ECRScanAPITokenSecret', { value: apiToken.secretArn, description: 'Secrets Manager secret holding the API token' });
  }

  /** Aurora Serverless v2 (PostgreSQL) in a VPC of its own, encrypted, its credentials generated into Secrets Manager. */
  private auroraDatabase(): { secret: secretsmanager.ISecret; network: Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> } {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      // The functions reach ECR, Secrets Manager, advisory sources and webhook receivers through it.
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    const functions = new ec2.SecurityGroup(this, 'FunctionsSecurityGroup', { vpc, description: 'ecr-continuous-scan functions' });
    const cluster = new rds.DatabaseCluster(this, 'Database', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_6 }),
      writer: rds.ClusterInstance.serverlessV2('writer'),
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 4,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      credentials: rds.Credentials.fromGeneratedSecret('ecrscan'),
      defaultDatabaseName: 'ecrscan',
      storageEncrypted: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
    });
    cluster.connections.allowDefaultPortFrom(functions, 'ecr-continuous-scan functions');
    if (!cluster.secret) throw new Error('the cluster has no generated secret');
    return { secret: cluster.secret, network: { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }, securityGroups: [functions] } };
  }

  private grantEcr(fn: lambda.IFunction, registries: readonly string[]): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ScanRegisteredRepositories',
        actions: [...ECR_REPOSITORY_ACTIONS],
        resources: registries.map((account) => `arn:${this.partition}:ecr:*:${account}:repository/*`),
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ sid: 'RegistryWideReads', actions: [...ECR_ACCOUNT_ACTIONS], resources: ['*'] }));
  }
}
