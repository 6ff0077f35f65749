import { makeHandler } from './shared/handler';

export const handler = makeHandler('markFailed');
