#!/usr/bin/env node
// Entry point of the `rounds` command: oclif finds the compiled commands under dist/cli/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
