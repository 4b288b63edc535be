import { App } from 'aws-cdk-lib';
import { EcrScanStack } from './ecr-scan-stack.js';

/**
 * The CDK app: `npm run deploy:aws -- -c registries=123456789012,210987654321` (the
 * deploying account when absent) and, for an existing database, `-c databaseSecretArn=…`.
 */
const app = new App();
const registries = String(app.node.tryGetContext('registries') ?? '')
  .split(',')
  .map((account) => account.trim())
  .filter((account) => account !== '');
for (const account of registries) {
  if (!/^[0-9]{12}$/.test(account)) throw new Error(`registries: "${account}" is not a 12-digit AWS account id`);
}
const databaseSecretArn = app.node.tryGetContext('databaseSecretArn') as string | undefined;
new EcrScanStack(app, 'ecr-continuous-scan', {
  registries,
  ...(databaseSecretArn ? { databaseSecretArn } : {}),
  description: 'ecr-continuous-scan: continuous vulnerability scanning of ECR images',
});
app.synth();
