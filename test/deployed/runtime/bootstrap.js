'use strict';
/**
 * The runtime inside one sandbox container, in the role of Lambda's /var/runtime: loads the
 * function's handler once (the cold start), then runs one invocation per message from the harness
 * and answers with the JSON result or Lambda's error shape {errorType, errorMessage, trace}.
 * Plain JavaScript: it runs on whatever node the sandbox is given, outside the bundle.
 */
const path = require('path');
const { performance } = require('perf_hooks');

const [moduleName, exportName] = String(process.env._HANDLER).split('.');
const shape = (e) => ({
  errorType: (e && e.name) || typeof e,
  errorMessage: e && e.message !== undefined ? String(e.message) : String(e),
  trace: String((e && e.stack) || '').split('\n').filter(Boolean),
});

let handler;
let initError;
try {
  handler = require(path.join(process.env.LAMBDA_TASK_ROOT, moduleName))[exportName];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${process.env._HANDLER} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
} catch (e) {
  initError = e.name === 'Runtime.HandlerNotFound' ? e : Object.assign(e, { name: e.code === 'MODULE_NOT_FOUND' ? 'Runtime.ImportModuleError' : e.name });
}
process.send({ type: 'ready', initMs: performance.now() });

let current;
const fail = (e) => {
  if (current) process.send({ type: 'result', id: current, error: shape(e) });
  // like Lambda's runtime: an error nobody awaited ends the process
  process.exit(128);
};
process.on('uncaughtException', fail);
process.on('unhandledRejection', (reason) => fail(Object.assign(new Error(`Runtime.UnhandledPromiseRejection: ${reason && reason.message}`), { name: 'Runtime.UnhandledPromiseRejection' })));

process.on('message', async ({ id, event, deadline, requestId, functionArn }) => {
  current = id;
  if (initError) return process.send({ type: 'result', id, error: shape(initError) });
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let reply;
  try {
    const result = await handler(event, context);
    reply = { type: 'result', id, payload: JSON.stringify(result === undefined ? null : result) };
  } catch (e) {
    reply = { type: 'result', id, error: shape(e) };
  }
  current = undefined;
  process.send(reply);
});
