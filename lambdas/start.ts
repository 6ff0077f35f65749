import { LambdaEnv } from '../lib/core/runtime-contract';
import { makeStartHandler } from './shared/start';

export const handler = makeStartHandler(() => {
  const arn = process.env[LambdaEnv.stateMachineArn];
  if (!arn) throw new Error(`environment variable ${LambdaEnv.stateMachineArn} is not set`);
  return arn;
});
