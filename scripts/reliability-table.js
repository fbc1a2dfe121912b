#!/usr/bin/env node
// Prints the figures a `npm run test:stress` run collected as a Markdown table
// for RELIABILITY.md: one row per figure, in the order the tests ran.
'use strict';
const fs = require('node:fs');
const file = process.argv[2] || 'stress-figures.jsonl';
const rows = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const cell = (s) => String(s).replace(/\|/g, '\\|');
process.stdout.write('| item | what was tried | times | what held |\n|---|---|---:|---|\n');
for (const r of rows.sort((a, b) => a.item.localeCompare(b.item, 'en', { numeric: true }))) {
  process.stdout.write(`| ${cell(r.item)} | ${cell(r.tried)} | ${r.times} | ${cell(r.held)} |\n`);
}
