#!/usr/bin/env node
// npm run docs: writes the README's option table from the option table (dist, so compile first).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const { withOptionsTable } = require(path.join(root, 'dist', 'cli', 'options-doc.js'));
const file = path.join(root, 'README.md');
fs.writeFileSync(file, withOptionsTable(fs.readFileSync(file, 'utf8')));
