#!/usr/bin/env node
// The glassbox command: the CLI bundled by `npm run build:cli` (npm install runs it).
await import('../build/glassbox.mjs');
