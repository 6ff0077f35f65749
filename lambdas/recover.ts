import { makeRecoverHandler } from './shared/recover';

export const handler = makeRecoverHandler();
