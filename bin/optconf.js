#!/usr/bin/env node
// The `optconf` command: loads the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../scripts/optconf.ts');
