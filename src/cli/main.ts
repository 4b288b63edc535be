#!/usr/bin/env node
// `ecrscan image` runs once per pipeline job: it does without the rest of the CLI's modules.
if (process.argv[2] === 'image') await (await import('./image/image-entry.js')).runImageCli();
else await (await import('./cli.js')).runCli();
