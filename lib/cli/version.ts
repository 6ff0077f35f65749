/** This program's version: the package.json of the package it runs from (source or compiled). */
import { readFileSync } from 'fs';
import * as path from 'path';
import { packageRoot } from '../build/artifacts';

export function programVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
