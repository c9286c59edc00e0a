#!/usr/bin/env node
// A committed, executable entry point: the compiled dist/cli.js is rebuilt without the
// executable bit, which `npx feed-dead` needs.
import '../dist/cli.js';
