import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';

// The floor for the synth benchmark: one stack with one resource, same CLI and aws-cdk-lib.
const app = new App();
new sns.Topic(
  new Stack(app, 'Empty', { env: { account: '111111111111', region: 'ap-northeast-2' } }),
  'Topic',
);
app.synth();
